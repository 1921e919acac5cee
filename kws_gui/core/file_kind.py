"""What a file that is not a TFLite model is, from its first bytes, and what to do instead.

People drop or open all kinds of files on a model chooser: a WAV clip, the Keras
``.h5`` beside the model, a report, an empty or half-copied file. The message for each
names the kind and the fix (``kws-train``, the Source tab), not a flatbuffer detail.
"""

from __future__ import annotations

from pathlib import Path

_HDF5 = b"\x89HDF\r\n\x1a\n"
_AUDIO = (
    (b"RIFF", b"WAVE", "a WAV audio file"),
    (b"fLaC", b"", "a FLAC audio file"),
    (b"OggS", b"", "an Ogg audio file"),
    (b"FORM", b"AIF", "an AIFF audio file"),
    (b"ID3", b"", "an MP3 audio file"),
)
_PLAY = "to listen to it, drop it on the window or choose it in the Source & settings tab"


def _audio_kind(head: bytes) -> str | None:
    for magic, sub, kind in _AUDIO:
        if head.startswith(magic) and (not sub or sub in head[8:12]):
            return kind
    return None


def _text_start(head: bytes) -> str | None:
    """The first line of ``head`` if it reads as text, else None."""
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte character is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if not text or printable < 0.95 * len(text):
        return None
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:40] + ("..." if len(first) > 40 else "")


def describe_not_tflite(data: bytes, path: str | Path = "") -> str:
    """Why ``data`` (a file's bytes) is not a TFLite model and what to do, for people."""
    name = Path(path).name if path else "the file"
    head = bytes(data[:512])
    if not data:
        return f"{name} is empty (0 bytes): choose a .tflite model file (kws-train writes them)"
    audio = _audio_kind(head)
    if audio:
        return f"{name} is {audio}, not a TFLite model: {_PLAY}"
    if head.startswith(_HDF5):
        sibling = Path(path).with_suffix(".tflite") if path else None
        beside = (
            f"; kws-train wrote {sibling.name} beside it: open that one"
            if sibling is not None and sibling.is_file()
            else ""
        )
        return (
            f"{name} is a Keras .h5 model, which the app does not run: it runs the .tflite files "
            f"kws-train exports (`kws-train train` writes both; `kws-train prune --from {name} "
            f"--data DIR --out DIR` exports new ones from this .h5){beside}"
        )
    if head.startswith(b"PK\x03\x04"):
        return f"{name} is a ZIP archive, not a TFLite model: unpack it and open the .tflite inside"
    first = _text_start(head)
    if first is not None:
        if first.lstrip().startswith(("{", "[")):
            return (
                f"{name} is a JSON text file (a training report?), not a TFLite model: "
                "open the .tflite file beside it"
            )
        return f'{name} is a text file ("{first}"), not a TFLite model: choose a .tflite file'
    if len(data) < 8:
        return f"{name} holds only {len(data)} bytes: too short to be a TFLite model"
    return (
        f"{name} is not a TFLite model: it lacks the 'TFL3' identifier every .tflite file has "
        "(a file of another kind, or a damaged copy)"
    )
