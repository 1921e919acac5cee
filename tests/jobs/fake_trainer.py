"""A stand-in for ``python -m trainer`` that speaks the ``--progress jsonl`` protocol.

Behaviour is chosen by ``FAKE_TRAINER_MODE``:

* ``ok``: start, steps, one epoch, artifacts written into ``--out``, result, done; exit 0;
* ``error``: an error event (bad input); exit 2;
* ``crash``: a traceback on stderr, no event; exit 1;
* ``slow``: steps until SIGTERM, then a cancelled event; exit 130;
* ``stubborn``: steps forever, ignoring SIGTERM (must be killed);
* ``replay``: the events recorded from a real ``kws-train`` run in ``FAKE_TRAINER_EVENTS``
  (a JSONL file), with the model files a sweep's finished trials name written into ``--out``
  (and its ``sweep.json``), so that their paths exist; exit 0.

``FAKE_TRAINER_ARGV`` (a file path), when set, receives the argv as JSON;
``FAKE_TRAINER_NICE`` (a file path) receives the process's niceness.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def arg(name: str, default: str | None = None) -> str | None:
    argv = sys.argv[1:]
    return argv[argv.index(name) + 1] if name in argv else default


def replay(path: str, out: str | None) -> int:
    """Emit a recorded event stream; write what its trials and result say exists in ``out``."""
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    for line in lines:
        event = json.loads(line)
        record = event.get("record") if event["event"] == "trial_finished" else None
        if out and record and record.get("status") == "ok":
            for model in record.get("models", {}).values():
                target = os.path.join(out, record["dir"], model["file"])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as model_file:
                    model_file.write(b"recorded trial model")
        if (
            out
            and event["event"] == "result"
            and event["report"].get("schema", "").startswith("kws-train-sweep")
        ):
            with open(os.path.join(out, "sweep.json"), "w", encoding="utf-8") as document:
                json.dump(event["report"], document)
        print(line, flush=True)
        time.sleep(0.01)
    return 0


def main() -> int:
    mode = os.environ.get("FAKE_TRAINER_MODE", "ok")
    if os.environ.get("FAKE_TRAINER_ARGV"):
        with open(os.environ["FAKE_TRAINER_ARGV"], "w", encoding="utf-8") as f:
            json.dump(sys.argv[1:], f)
    if os.environ.get("FAKE_TRAINER_NICE"):
        with open(os.environ["FAKE_TRAINER_NICE"], "w", encoding="utf-8") as f:
            f.write(str(os.nice(0)))
    command = sys.argv[1]
    out = arg("--out")
    if mode == "replay":
        return replay(os.environ["FAKE_TRAINER_EVENTS"], out)
    emit(
        "start", command=command, preset=arg("--preset"), epochs=1, steps_per_epoch=4, total_steps=4, out=out
    )
    print("a stray print that is not JSON", flush=True)
    print("human log line on stderr", file=sys.stderr, flush=True)
    if mode == "error":
        emit("error", message=f"dataset folder {arg('--data')} does not exist", type="DatasetError")
        return 2
    if mode == "crash":
        print("Traceback (most recent call last):\nRuntimeError: boom in the fake trainer", file=sys.stderr)
        return 1
    if mode in ("slow", "stubborn"):
        stop = {"flag": False}
        if mode == "slow":
            signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
        else:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        step = 0
        while not stop["flag"]:
            step += 1
            emit(
                "step",
                epoch=1,
                step=step,
                total_steps=10_000,
                loss=1.0 / step,
                accuracy=0.5,
                elapsed_s=step * 0.05,
            )
            time.sleep(0.05)
        emit("cancelled")
        return 130
    emit("stage", stage="train", message="training")
    for step in range(1, 5):
        emit(
            "step",
            epoch=1,
            step=step,
            total_steps=4,
            loss=1.0 / step,
            accuracy=0.5 + 0.1 * step,
            sparsity=0.1 * step,
            elapsed_s=0.1 * step,
        )
    emit(
        "epoch",
        epoch=1,
        epochs=1,
        loss=0.25,
        accuracy=0.9,
        val_loss=0.3,
        val_accuracy=0.85,
        sparsity=0.4,
        lr=0.01,
    )
    report = {
        "models": {
            "float32": {
                "tflite_bytes": 1234,
                "zipped_bytes": 567,
                "accuracy": {"validation": 0.85, "test": 0.8},
            },
            "int8": {
                "tflite_bytes": 999,
                "zipped_bytes": 444,
                "accuracy": {"validation": 0.84, "test": 0.79},
            },
        },
        "sparsity": {"overall": 0.4},
        "training": {"seconds": 0.5},
    }
    if out:
        os.makedirs(out, exist_ok=True)
        name = arg("--name") or (arg("--preset") or "model").replace("-", "_")
        for suffix, kind in (
            (".tflite", "tflite-float32"),
            ("_int8.tflite", "tflite-int8"),
            (".h5", "keras"),
        ):
            path = os.path.join(out, name + suffix)
            with open(path, "wb") as f:
                f.write(b"not really a model")
            emit("artifact", kind=kind, path=path)
        with open(os.path.join(out, name + ".report.json"), "w", encoding="utf-8") as f:
            json.dump(report, f)
    emit("result", report=report if out else {"accuracy": 0.75, "n": 8, "labels": ["yes", "no"]})
    emit("done", ok=True, out=out, elapsed_s=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
