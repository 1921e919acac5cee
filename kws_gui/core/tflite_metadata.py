"""Read and write the JSON metadata entry that makes a .tflite file self-describing.

A TFLite flatbuffer has a ``metadata`` table: named entries, each pointing at a
buffer. We store one entry, :data:`METADATA_NAME`, whose buffer holds UTF-8 JSON
(labels, frontend config, training facts). The rest of the model is untouched and
every TFLite interpreter still loads it. Only the flatbuffer schema shipped with
``ai-edge-litert`` and the ``flatbuffers`` package are used: no TensorFlow.
"""

from __future__ import annotations

import json
from typing import Any

import flatbuffers

from kws_gui.core.bounded_json import JsonLimitError, loads_bounded

METADATA_NAME = "kws_gui"
TFLITE_IDENTIFIER = b"TFL3"
#: Our metadata is ~1 KB of labels and numbers; anything far bigger or deeper is refused unparsed.
MAX_METADATA_BYTES = 1 << 20
MAX_METADATA_DEPTH = 32


class MetadataError(ValueError):
    """The bytes are not a TFLite model, or its metadata is unreadable."""


def _schema():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError as exc:  # pragma: no cover - ai-edge-litert is a hard dependency
        raise MetadataError(
            "reading model metadata needs the ai-edge-litert package (pip install ai-edge-litert)"
        ) from exc
    return schema


def is_tflite(data: bytes) -> bool:
    """True when ``data`` carries the TFLite flatbuffer identifier."""
    return len(data) >= 8 and data[4:8] == TFLITE_IDENTIFIER


def _unpack(data: bytes):
    if not is_tflite(data):
        raise MetadataError("not a TFLite model (no 'TFL3' flatbuffer identifier)")
    schema = _schema()
    try:
        return schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    except Exception as exc:  # corrupt flatbuffers raise anything from struct/Index errors
        raise MetadataError(f"corrupt TFLite flatbuffer: {exc}") from exc


def read_metadata(data: bytes) -> dict[str, Any] | None:
    """The JSON metadata of a TFLite model, or None when it has none.

    Raises :class:`MetadataError` for bytes that are not a TFLite model or whose
    entry is not valid JSON, or is larger than :data:`MAX_METADATA_BYTES` or nested
    deeper than :data:`MAX_METADATA_DEPTH` (checked before parsing).
    """
    if not is_tflite(data):
        raise MetadataError("not a TFLite model (no 'TFL3' flatbuffer identifier)")
    schema = _schema()
    try:
        model = schema.Model.GetRootAs(data, 0)
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            name = entry.Name()
            if name is None or name.decode("utf-8", "replace") != METADATA_NAME:
                continue
            buffer = model.Buffers(entry.Buffer())
            raw = buffer.DataAsNumpy()
            if isinstance(raw, int):  # flatbuffers returns 0 for an absent vector
                raw = b""
            payload = bytes(raw)
            if not payload and buffer.Size() and buffer.Offset():
                payload = data[buffer.Offset() : buffer.Offset() + buffer.Size()]
            break
        else:
            return None
    except MetadataError:
        raise
    except Exception as exc:
        raise MetadataError(f"corrupt TFLite flatbuffer: {exc}") from exc
    what = f"metadata entry '{METADATA_NAME}'"
    try:
        value = loads_bounded(payload.decode("utf-8"), MAX_METADATA_BYTES, MAX_METADATA_DEPTH, what)
    except JsonLimitError as exc:
        raise MetadataError(str(exc)) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise MetadataError(f"metadata entry '{METADATA_NAME}' is not a JSON object")
    return value


def write_metadata(data: bytes, metadata: dict[str, Any]) -> bytes:
    """Return a copy of the model with ``metadata`` stored as JSON (replacing ours)."""
    schema = _schema()
    model = _unpack(data)
    payload = json.dumps(metadata, sort_keys=True, separators=(",", ":")).encode("utf-8")
    entries = [
        m for m in (model.metadata or []) if (m.name or b"") not in (METADATA_NAME, METADATA_NAME.encode())
    ]
    buffer = schema.BufferT()
    buffer.data = list(payload)
    model.buffers = list(model.buffers or []) + [buffer]
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = entries + [entry]
    builder = flatbuffers.Builder(len(data) + len(payload) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=TFLITE_IDENTIFIER)
    return bytes(builder.Output())
