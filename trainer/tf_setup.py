"""The one place that imports TensorFlow, tf-keras and tensorflow-model-optimization.

``tensorflow-model-optimization`` needs Keras 2, so ``TF_USE_LEGACY_KERAS=1`` must be
set before TensorFlow is imported the first time. TensorFlow's C++ and Python logging
is silenced: kws-train's ``--progress jsonl`` mode owns stdout, and people read stderr.
Call :func:`import_tf` inside the functions that need TensorFlow, never at module level.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from functools import cache
from types import ModuleType
from typing import NamedTuple


class TF(NamedTuple):
    """The modules a trainer function needs."""

    tf: ModuleType
    keras: ModuleType
    tfmot: ModuleType


def _set_environment() -> None:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")


@cache
def import_tf() -> TF:
    """Import TensorFlow, tf-keras and tfmot once, quietly, with legacy Keras."""
    _set_environment()
    import tensorflow as tf
    import tf_keras

    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    tf.autograph.set_verbosity(0)
    import tensorflow_model_optimization as tfmot

    return TF(tf, tf_keras, tfmot)


def set_seeds(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow; make TF ops deterministic when asked."""
    import numpy as np

    tf, keras, _ = import_tf()
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        # Best effort: older TF versions lack it.
        with contextlib.suppress(Exception):
            tf.config.experimental.enable_op_determinism()


def set_threads(threads: int) -> int:
    """Ask TensorFlow for ``threads`` threads per op and between ops (0: leave its default).

    Possible only before TensorFlow runs its first op in this process; later the
    request is ignored. Returns the intra-op thread count in effect (0: TensorFlow's
    default, one per core). The count changes the order of float sums, so it is part
    of what makes a run repeatable.
    """
    tf, _, _ = import_tf()
    if threads:
        with contextlib.suppress(RuntimeError):  # TensorFlow is already running
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
    return int(tf.config.threading.get_intra_op_parallelism_threads())
