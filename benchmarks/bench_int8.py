"""Why int8 inference is not faster than float32 here: interpreter options and per-layer cost.

1. **Options** (no TensorFlow): every shipped float32/int8 pair, one invoke each, timed
   interleaved under the interpreter settings that could matter: XNNPACK (LiteRT's
   default delegate) or the built-in kernels, 1 or 2 threads, XNNPACK's latest features.
2. **Layers** (``--layers``, needs the ``train`` extra and the shipped ``ds_cnn.h5``): the
   DS-CNN cut after each layer, converted to float32 and to int8 (per tensor, as shipped,
   calibrated on the tts-yes-no training split), each cut timed under XNNPACK; the
   difference between consecutive cuts is what that layer costs.

Prints tables, or one JSON object with ``--json`` (benchmarks/results/int8.json).

    python benchmarks/bench_int8.py [--runs 1500] [--layers] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kws_gui.paths import MODELS_DIR, shared_data_dir  # noqa: E402

PAIRS = (("ds_cnn.tflite", "ds_cnn_int8.tflite"), ("reference.tflite", "reference_int8.tflite"))
#: Layers of the DS-CNN after which the model is cut (``--layers``).
CUTS = ("normalize", "conv1", "pool1", "relu1", "pointwise2", "relu2", "pointwise3", "relu3", "dense")


def interpreter(data: bytes, threads: int = 1, xnnpack: bool = True, latest: bool = False):
    """A LiteRT interpreter with these options, input zeroed, invoked once."""
    from ai_edge_litert import interpreter as litert

    resolver = (
        litert.OpResolverType.AUTO if xnnpack else litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    it = litert.Interpreter(
        model_content=data,
        num_threads=threads,
        experimental_op_resolver_type=resolver,
        experimental_default_delegate_latest_features=latest,
    )
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    it.invoke()
    return it


def time_interleaved(interpreters: dict, runs: int, block: int = 5) -> dict[str, dict[str, float]]:
    """Min and median microseconds of ``invoke`` per interpreter, in rotating blocks."""
    times: dict[str, list[int]] = {k: [] for k in interpreters}
    for _ in range(max(1, runs // block)):
        for key, it in interpreters.items():
            it.invoke()  # after another model: not counted
            for _ in range(block):
                t0 = time.perf_counter_ns()
                it.invoke()
                times[key].append(time.perf_counter_ns() - t0)
    return {
        k: {"min_us": round(min(v) / 1e3, 1), "median_us": round(float(np.median(v)) / 1e3, 1)}
        for k, v in times.items()
    }


def options(runs: int) -> list[dict]:
    variants = {"XNNPACK, 1 thread": {}, "XNNPACK, 2 threads": {"threads": 2}}
    variants["XNNPACK latest features"] = {"latest": True}
    variants["built-in kernels"] = {"xnnpack": False}
    rows = []
    for float_name, int8_name in PAIRS:
        n = runs if "ds_cnn" in float_name else max(50, runs // 20)
        data = {name: (MODELS_DIR / name).read_bytes() for name in (float_name, int8_name)}
        its = {(name, v): interpreter(data[name], **kw) for v, kw in variants.items() for name in data}
        timed = time_interleaved(its, n)
        for v in variants:
            rows.append(
                {
                    "pair": float_name,
                    "variant": v,
                    "float32": timed[(float_name, v)],
                    "int8": timed[(int8_name, v)],
                }
            )
    return rows


def layers(runs: int) -> list[dict]:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from kws_gui.core.frontend import DS_CNN
    from trainer import export
    from trainer.data import load_split, scan_dataset
    from trainer.tf_setup import import_tf

    _, keras, _ = import_tf()
    model = keras.models.load_model(str(MODELS_DIR / "ds_cnn.h5"), compile=False)
    index = scan_dataset(shared_data_dir() / "tts-yes-no", labels=("yes", "no"))
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_int8_cache"
    representative = load_split(index, "train", DS_CNN, cache_dir=cache).features
    its = {}
    for cut in CUTS:
        sub = keras.Model(model.input, model.get_layer(cut).output)
        its[(cut, "float32")] = interpreter(export.to_tflite_float(sub))
        its[(cut, "int8")] = interpreter(export.to_tflite_int8(sub, representative, seed=0))
    timed = time_interleaved(its, runs)
    return [{"cut_after": c, "float32": timed[(c, "float32")], "int8": timed[(c, "int8")]} for c in CUTS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1500, help="timed invokes per interpreter (DS-CNN)")
    parser.add_argument("--layers", action="store_true", help="also time the DS-CNN cut after each layer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = {"benchmark": "int8", "options": options(args.runs)}
    if args.layers:
        result["layers"] = layers(args.runs)
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("invoke, µs (min / median)            float32            int8")
    for r in result["options"]:
        f, q = r["float32"], r["int8"]
        print(
            f"{r['pair']:18s} {r['variant']:24s} {f['min_us']:7.1f} / {f['median_us']:7.1f}  {q['min_us']:7.1f} / {q['median_us']:7.1f}"
        )
    for r in result.get("layers", []):
        f, q = r["float32"], r["int8"]
        print(
            f"DS-CNN up to {r['cut_after']:12s} {f['min_us']:7.1f} / {f['median_us']:7.1f}  {q['min_us']:7.1f} / {q['median_us']:7.1f}"
        )
    print(f"load average {result['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
