"""The TFLite runtime is resolved in the documented order, skipping broken ones."""

from __future__ import annotations

import sys
import types

import pytest

from kws_gui.core import runtime as runtime_mod


@pytest.fixture(autouse=True)
def _fresh_cache():
    runtime_mod.resolve_runtime.cache_clear()
    yield
    runtime_mod.resolve_runtime.cache_clear()


def test_litert_is_preferred_and_runs_the_probe_model() -> None:
    rt = runtime_mod.resolve_runtime()
    assert rt.name == "LiteRT"
    assert rt.module == "ai_edge_litert.interpreter"


def _broken_module(name: str, message: str) -> types.ModuleType:
    module = types.ModuleType(name)

    class Interpreter:  # imports fine, fails when constructed (tflite-runtime under NumPy 2)
        def __init__(self, *args, **kwargs):
            raise ImportError(message)

    module.Interpreter = Interpreter
    return module


def test_runtime_that_imports_but_cannot_run_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    monkeypatch.setitem(sys.modules, "tflite_runtime", types.ModuleType("tflite_runtime"))
    monkeypatch.setitem(
        sys.modules,
        "tflite_runtime.interpreter",
        _broken_module("tflite_runtime.interpreter", "_ARRAY_API not found"),
    )
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    monkeypatch.setitem(sys.modules, "tensorflow.lite", None)
    with pytest.raises(runtime_mod.RuntimeUnavailable) as info:
        runtime_mod.resolve_runtime()
    message = str(info.value)
    assert "_ARRAY_API not found" in message
    assert "pip install ai-edge-litert" in message


def test_falls_back_to_the_next_working_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    from ai_edge_litert.interpreter import Interpreter

    fallback = types.ModuleType("tflite_runtime.interpreter")
    fallback.Interpreter = Interpreter
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime", types.ModuleType("tflite_runtime"))
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", fallback)
    rt = runtime_mod.resolve_runtime()
    assert rt.name == "tflite-runtime"
