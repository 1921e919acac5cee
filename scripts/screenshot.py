"""Make README's screenshots: the main window during a detection, rendered offscreen.

Runs the real app (default model, real engine) on a looping WAV of "yes" (a held-out
tts-yes-no clip by default, followed by a second of silence so that the word comes and
goes), waits until the spectrogram is full, then grabs the window right after the next
detection. Each picture is taken in a child process on a simulated screen of its size
(Qt's offscreen platform), so presentation mode really is full screen; the PNGs are
stored with a 128-colour palette when Pillow is installed (small files).

    python scripts/screenshot.py                    # the three pictures README shows
    python scripts/screenshot.py --size 800x480 [--presentation] [--tab N] --out FILE.png
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: A held-out (test-list) speaker of the tts-yes-no set.
YES_CLIP = Path("tts-yes-no") / "yes" / "00bc6789_nohash_0.wav"
#: README's pictures: (file, size, presentation mode).
PICTURES = (
    ("screenshot.png", "1024x600", False),
    ("screenshot-800x480.png", "800x480", False),
    ("screenshot-presentation.png", "1280x720", True),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Screenshots of the main window during a detection.")
    parser.add_argument(
        "--wav", default=None, help="audio file with the keyword (default: a held-out tts-yes-no 'yes')"
    )
    parser.add_argument("--model", default=None, help="model file (default: the shipped default)")
    parser.add_argument("--size", default=None, help="one picture: screen and window size WxH")
    parser.add_argument("--presentation", action="store_true", help="one picture in presentation mode")
    parser.add_argument("--tab", type=int, default=0, help="tab to show (default 0, Live)")
    parser.add_argument("--expect", default="yes", help="grab when this word is detected (default yes)")
    parser.add_argument("--fill-s", type=float, default=5.5, help="seconds of audio before the grab")
    parser.add_argument("--noise-dbfs", type=float, default=-65.0, help="room noise added (default -65)")
    parser.add_argument("--out", default=None, help="PNG to write (with --size)")
    parser.add_argument("--docs", default=str(REPO / "docs"), help="folder of README's pictures")
    return parser.parse_args(argv)


def take_all(args: argparse.Namespace) -> int:
    """README's pictures, each in a child process on a screen of its size."""
    for name, size, presentation in PICTURES:
        command = [sys.executable, __file__, "--size", size, "--out", str(Path(args.docs) / name)]
        command += ["--presentation"] if presentation else []
        command += ["--wav", args.wav] if args.wav else []
        command += ["--model", args.model] if args.model else []
        if subprocess.run(command, check=False).returncode != 0:
            return 1
    return 0


def simulated_screen(width: int, height: int, folder: str) -> str:
    """A Qt offscreen platform string with one screen of ``width`` x ``height``."""
    config = Path(folder) / "screen.json"
    screen = {"name": "shot", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


def save_small_png(image, out: Path, tmp: str, colours: int = 128) -> bool:
    """``image`` (a QImage) as a PNG with a palette of ``colours`` (Pillow's median cut, no
    dithering: dither noise compresses badly); full colour when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        return image.save(str(out), "PNG")
    full = Path(tmp) / "full.png"
    if not image.save(str(full), "PNG"):
        return False
    with Image.open(full) as picture:
        small = picture.convert("RGB").quantize(colours, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(out, "PNG", optimize=True)
    return True


def take_one(args: argparse.Namespace, tmp: str) -> int:
    width, height = (int(v) for v in args.size.lower().split("x"))
    os.environ["QT_QPA_PLATFORM"] = simulated_screen(width, height, tmp)
    from PySide6.QtWidgets import QApplication

    from kws_gui._qt.controller import AppController
    from kws_gui._qt.main_window import MainWindow
    from kws_gui._qt.settings import AppSettings
    from kws_gui.app import add_training_tab
    from kws_gui.core.audio import SourceSpec
    from kws_gui.paths import DEFAULT_MODEL, shared_data_dir

    wav = Path(args.wav) if args.wav else shared_data_dir() / YES_CLIP
    if not wav.is_file():
        print(f"screenshot: {wav} not found (pass --wav)", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0]])

    def spin(seconds: float, until=None) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.005)
        return until is None

    import numpy as np
    import soundfile

    from kws_gui.core.audio_io import read_audio

    padded = Path(tmp) / wav.name
    audio = read_audio(wav)
    signal = np.concatenate([audio, np.zeros(16000, np.float32)])
    # A faint room-noise floor (under the -45 dBFS energy gate) as a microphone has.
    noise = np.random.default_rng(0).standard_normal(signal.size).astype(np.float32)
    signal += noise * 10 ** (args.noise_dbfs / 20)
    soundfile.write(str(padded), signal, 16000)
    controller = AppController(AppSettings(Path(tmp) / "settings.ini"))
    window = MainWindow(controller)
    add_training_tab(window, controller)  # as in the app: its tab shows in the tab bar
    window.resize(width, height)
    window.show()
    if args.presentation:
        window.set_presentation(True)
    window.tabs.setCurrentIndex(args.tab)
    failures: list[str] = []
    controller.model_failed.connect(failures.append)
    controller.source_failed.connect(failures.append)
    window.load_model(args.model or DEFAULT_MODEL)
    if not spin(30, lambda: controller.engine is not None or bool(failures)) or failures:
        print(f"screenshot: {failures[0] if failures else 'the model did not load'}", file=sys.stderr)
        return 1
    controller.set_source(SourceSpec(kind="wav", wav_path=str(padded), loop=True))
    spin(args.fill_s)
    rows = window.log.rowCount()

    def detected() -> bool:
        return window.log.rowCount() > rows and window.log.words()[0] == args.expect

    if not spin(15, detected):
        seen = window.log.words()[: window.log.rowCount() - rows]
        print(f"screenshot: no '{args.expect}' detected within 15 s (saw {seen})", file=sys.stderr)
        return 1
    spin(0.15)  # let the plots catch up with the detection
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not save_small_png(window.grab().toImage(), out, tmp):
        print(f"screenshot: cannot write {out}", file=sys.stderr)
        return 1
    word, size = window.detection.text, window.size()
    window.close()
    mode = ", presentation mode" if args.presentation else ""
    print(
        f"screenshot: {out} ({size.width()}x{size.height()}{mode}, showing {word!r}, {out.stat().st_size} bytes)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.size is None:
        return take_all(args)
    if args.out is None:
        print("screenshot: --size needs --out", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        return take_one(args, tmp)


if __name__ == "__main__":
    raise SystemExit(main())
