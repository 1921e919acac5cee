"""Make docs/screenshot.png: the main window during a detection, rendered offscreen.

Runs the real app (default model, real engine) on a looping WAV of "yes"
(a held-out tts-yes-no clip by default, followed by a second of silence so
that the word comes and goes), waits until the spectrogram is full, then grabs
the window right after the next detection.

    python scripts/screenshot.py [--wav FILE] [--model PATH] [--size 1024x600] [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
#: A held-out (test-list) speaker of the tts-yes-no set.
YES_CLIP = Path("tts-yes-no") / "yes" / "00bc6789_nohash_0.wav"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Screenshot of the main window during a detection.")
    parser.add_argument(
        "--wav", default=None, help="audio file with the keyword (default: a held-out tts-yes-no 'yes')"
    )
    parser.add_argument("--model", default=None, help="model file (default: the shipped default)")
    parser.add_argument("--size", default="1024x600", help="window size WxH (default 1024x600)")
    parser.add_argument("--expect", default="yes", help="grab when this word is detected (default yes)")
    parser.add_argument("--fill-s", type=float, default=5.5, help="seconds of audio before the grab")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshot.png"), help="PNG to write")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
    width, height = (int(v) for v in args.size.lower().split("x"))
    app = QApplication.instance() or QApplication([sys.argv[0]])

    def spin(seconds: float, until=None) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.005)
        return until is None

    with tempfile.TemporaryDirectory() as tmp:
        import numpy as np
        import soundfile

        from kws_gui.core.audio_io import read_audio

        padded = Path(tmp) / wav.name
        audio = read_audio(wav)
        signal = np.concatenate([audio, np.zeros(16000, np.float32)])
        # A faint room-noise floor (-65 dBFS, under the -45 dBFS energy gate) as a microphone has.
        signal += np.random.default_rng(0).standard_normal(signal.size).astype(np.float32) * 10 ** (-65 / 20)
        soundfile.write(str(padded), signal, 16000)
        controller = AppController(AppSettings(Path(tmp) / "settings.ini"))
        window = MainWindow(controller)
        add_training_tab(window, controller)  # as in the app: its tab shows in the tab bar
        window.resize(width, height)
        window.show()
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
        if not window.grab().save(str(out)):
            print(f"screenshot: cannot write {out}", file=sys.stderr)
            return 1
        word = window.detection.text
        window.close()
    print(f"screenshot: {out} ({width}x{height}, showing {word!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
