"""The two Keras architectures (reference CNN, DS-CNN) built from a :class:`TrainConfig`.

:class:`TrainConfig` and the named :data:`PRESETS` live in :mod:`kws_gui.core.train_config`
(plain data the app's job form reads too); they are re-exported here. The model takes
the raw feature matrix ``[batch, frames, features]``: per-feature-bin normalisation (mean
and standard deviation of the training split) is the first layer, the channel axis is
added with ``Reshape``. TensorFlow is imported only inside :func:`build_model`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kws_gui.core.train_config import ARCHITECTURES, PRESETS, ConfigError, TrainConfig, preset

__all__ = [
    "ARCHITECTURES",
    "PRESETS",
    "ConfigError",
    "TrainConfig",
    "build_model",
    "feature_normalizer",
    "preset",
]


def feature_normalizer(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature-bin mean and variance over (clips, frames) of ``(n, T, F)`` features."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] == 0:
        raise ValueError(f"need a non-empty (n, frames, features) array, got shape {x.shape}")
    mean = x.mean(axis=(0, 1))
    var = np.maximum(x.var(axis=(0, 1)), 1e-6)
    return mean.astype(np.float32), var.astype(np.float32)


def build_model(config: TrainConfig, mean: np.ndarray, variance: np.ndarray) -> Any:
    """The Keras (tf-keras) model of ``config``; input ``[batch, frames, features]``."""
    from trainer.tf_setup import import_tf

    keras = import_tf().keras
    layers = keras.layers
    frames, features = config.frontend.feature_shape
    inputs = keras.Input(shape=(frames, features), name="features")
    x = layers.Normalization(axis=-1, mean=mean, variance=variance, name="normalize")(inputs)
    if config.window_mean_norm:
        # Cepstral mean normalisation per window: a fixed microphone response adds the same
        # vector to every frame's log-mel / MFCC features; subtracting the window's mean removes it.
        window_mean = layers.GlobalAveragePooling1D(keepdims=True, name="window_mean")(x)
        x = layers.Subtract(name="subtract_window_mean")([x, window_mean])
    x = layers.Reshape((frames, features, 1), name="add_channel")(x)
    if config.architecture == "cnn":
        x = _reference_body(layers, x, config)
    else:
        x = _ds_cnn_body(layers, x, config)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(len(config.labels), activation="softmax", name="dense")(x)
    return keras.Model(inputs, outputs, name=config.model_name)


def _reference_body(layers: Any, x: Any, config: TrainConfig) -> Any:
    """3x [Conv2D(filters, 3x3; the first with stride 2), BN, ReLU]."""
    for i in range(3):
        x = layers.Conv2D(
            config.filters,
            config.first_kernel,
            strides=2 if i == 0 else 1,
            padding="same",
            use_bias=False,
            name=f"conv{i + 1}",
        )(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.ReLU(name=f"relu{i + 1}")(x)
        if config.dropout:
            x = layers.Dropout(config.dropout, name=f"dropout{i + 1}")(x)
    return x


def _ds_cnn_body(layers: Any, x: Any, config: TrainConfig) -> Any:
    """Conv2D block + ``ds_blocks`` depthwise-separable blocks (the seed: 2), each [MaxPool,] BN, ReLU, Dropout.

    The first ``pool_blocks`` blocks end in 2x2 max-pooling (default: every block, as
    the seed); ``first_stride`` strides the first convolution (2x2 as in Hello Edge's
    DS-CNN: a quarter of its work, the costliest layer).
    """
    # No biases before BatchNormalization: its beta absorbs them (max-pooling commutes
    # with adding a per-channel constant), and the file is smaller.
    pools = config.ds_blocks + 1 if config.pool_blocks is None else config.pool_blocks
    x = layers.Conv2D(
        config.filters,
        config.first_kernel,
        strides=tuple(config.first_stride),
        padding="same",
        use_bias=False,
        name="conv1",
    )(x)
    x = _block_tail(layers, x, config, 1, pool=pools >= 1)
    for i in range(2, config.ds_blocks + 2):
        x = layers.DepthwiseConv2D((3, 3), padding="same", use_bias=False, name=f"depthwise{i}")(x)
        x = layers.Conv2D(config.filters, (1, 1), use_bias=False, name=f"pointwise{i}")(x)
        x = _block_tail(layers, x, config, i, pool=pools >= i)
    return x


def _block_tail(layers: Any, x: Any, config: TrainConfig, i: int, pool: bool = True) -> Any:
    if pool:
        x = layers.MaxPooling2D((2, 2), name=f"pool{i}")(x)
    x = layers.BatchNormalization(name=f"bn{i}")(x)
    x = layers.ReLU(name=f"relu{i}")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name=f"dropout{i}")(x)
    return x
