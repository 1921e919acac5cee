"""JSON from files anyone may hand us (model metadata, job history), parsed within limits.

:func:`loads_bounded` checks the size and the nesting depth *before* parsing, so a
document nested 100 000 levels deep is a clear :class:`JsonLimitError` (a
``ValueError``), never a ``RecursionError`` deep inside the parser or in code that
walks the result later. The depth scan skips string contents and runs in NumPy
over fixed-size chunks: linear time, memory independent of the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_CHUNK = 1 << 20
#: +1 for each byte that opens an array/object, -1 for each that closes one.
_STEP = np.zeros(256, np.int32)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1


class JsonLimitError(ValueError):
    """A JSON document larger or more deeply nested than its reader allows."""


def nesting_depth(text: str | bytes) -> int:
    """Deepest nesting of arrays/objects in a JSON text (brackets inside strings do not count)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    data = np.frombuffer(_STRING.sub(b'""', raw) if b'"' in raw else raw, np.uint8)
    depth = deepest = 0
    for start in range(0, data.size, _CHUNK):
        chunk = data[start : start + _CHUNK]
        running = np.cumsum(_STEP[chunk]) + depth
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
    return deepest


def loads_bounded(text: str | bytes, max_bytes: int, max_depth: int, what: str = "JSON") -> Any:
    """``json.loads`` after checking size and depth; :class:`JsonLimitError` names ``what``.

    Other parse errors are ``json.JSONDecodeError`` (also a ``ValueError``).
    """
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise JsonLimitError(f"{what} is {size} bytes, more than the {max_bytes} allowed")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise JsonLimitError(f"{what} is nested {depth} levels deep, more than the {max_depth} allowed")
    return json.loads(text)
