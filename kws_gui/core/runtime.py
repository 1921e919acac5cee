"""Find a TFLite interpreter without TensorFlow when possible.

Order: ``ai_edge_litert`` (LiteRT, works with NumPy 2, aarch64 wheels) ->
``tflite_runtime`` (last released 2023, breaks under NumPy 2) -> ``tensorflow.lite``
(only if TensorFlow happens to be installed; never preferred). The app shows
which one is in use.
"""

from __future__ import annotations

import base64
import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any


class RuntimeUnavailable(RuntimeError):
    """No TFLite interpreter could be imported."""


@dataclass(frozen=True)
class Runtime:
    """The interpreter class in use and a name for people."""

    name: str
    module: str
    version: str
    interpreter_class: Any

    def make_interpreter(self, model_content: bytes, num_threads: int | None = 1) -> Any:
        """A new interpreter for the model bytes, tensors allocated."""
        interpreter = self.interpreter_class(model_content=model_content, num_threads=num_threads)
        interpreter.allocate_tensors()
        return interpreter


#: A 728-byte TFLite model (y = x + 1, shape [1, 2]) used to check that a runtime
#: really runs: tflite-runtime imports under NumPy 2 but fails at ``Interpreter()``.
_PROBE_MODEL_B64 = (
    "HAAAAFRGTDMUACAAHAAYABQAEAAMAAAACAAEABQAAAAcAAAAHAAAAHQAAAA8AQAATAEAAJQCAAADAAAAAAAAAAIA"
    "AAA0AAAABAAAANz///8FAAAABAAAABMAAABDT05WRVJTSU9OX01FVEFEQVRBAAgADAAIAAQACAAAAAQAAAAEAAAA"
    "EwAAAG1pbl9ydW50aW1lX3ZlcnNpb24ABgAAAMQAAAC8AAAAqAAAAJgAAAB0AAAABAAAAG7///8EAAAAYAAAABAA"
    "AAAAAAAACAAOAAgABAAIAAAAEAAAACQAAAAAAAYACAAEAAYAAAAEAAAAAAAAAAwAGAAUABAADAAEAAwAAACiizxW"
    "q3mHQwMAAAACAAAABAAAAAYAAAAyLjIxLjAAANr///8EAAAAEAAAADEuNS4wAAAAAAAAAAAAAAAEAAYABAAAAAAA"
    "BgAIAAQABgAAAAQAAAAEAAAAAACAP5D+//+U/v//DwAAAE1MSVIgQ29udmVydGVkLgABAAAAFAAAAAAADgAYABQA"
    "EAAMAAgABAAOAAAAFAAAABwAAABcAAAAYAAAAGQAAAAEAAAAbWFpbgAAAAABAAAAFAAAAAAADgAUAAAAEAAMAAsA"
    "BAAOAAAAEAAAAAAAAAsMAAAAEAAAABT///8BAAAAAgAAAAIAAAAAAAAAAQAAAAEAAAACAAAAAQAAAAAAAAADAAAA"
    "iAAAAEAAAAAEAAAAmv///wAAAAEQAAAAEAAAAAMAAAAYAAAAZP///wgAAABJZGVudGl0eQAAAAACAAAAAQAAAAIA"
    "AADS////AAAAARAAAAAQAAAAAgAAABQAAACc////BQAAAGFkZC95AAAAAAAAAAAAFgAYABQAAAAQAAwACAAAAAAA"
    "AAAHABYAAAAAAAABEAAAABAAAAABAAAAEAAAAOD///8BAAAAeAAAAAIAAAABAAAAAgAAAAEAAAAIAAAABAAEAAQA"
    "AAA="
)

_CANDIDATES = (
    ("LiteRT", "ai_edge_litert.interpreter", "ai_edge_litert"),
    ("tflite-runtime", "tflite_runtime.interpreter", "tflite_runtime"),
    ("tf.lite", "tensorflow.lite", "tensorflow"),
)


def _version(package: str) -> str:
    try:
        from importlib.metadata import version

        dist = {"ai_edge_litert": "ai-edge-litert", "tflite_runtime": "tflite-runtime"}.get(package, package)
        return version(dist)
    except Exception:
        return "unknown"


@cache
def resolve_runtime(allow_tensorflow: bool = True) -> Runtime:
    """The first importable runtime, in the documented order.

    Raises :class:`RuntimeUnavailable` listing what was tried and why.
    """
    errors = []
    for name, module_name, package in _CANDIDATES:
        if package == "tensorflow" and not allow_tensorflow:
            continue
        try:
            module = importlib.import_module(module_name)
            interpreter_class = module.Interpreter
            probe = interpreter_class(model_content=base64.b64decode(_PROBE_MODEL_B64))
            probe.allocate_tensors()
        except Exception as exc:  # ImportError, a broken binary wheel, NumPy ABI mismatch
            errors.append(f"{module_name}: {exc}")
            continue
        return Runtime(name, module_name, _version(package), interpreter_class)
    raise RuntimeUnavailable(
        "no TFLite runtime could be imported (install one: pip install ai-edge-litert). Tried: "
        + "; ".join(errors)
    )
