"""Training-time augmentation: the Speech Commands recipe (``input_data.py``) and what real
recordings add to it.

For every clip of a batch, each step switchable (off by default except 2 and 4, the recipe's):

1. **speed perturbation**: played at a random speed in ``1 +- speed`` (tempo and pitch);
2. **time shift** by a whole number of samples drawn uniformly from
   ``[-time_shift_s, +time_shift_s]`` (100 ms by default), the gap filled with zeros;
3. **reverb** on a ``reverb_probability`` share of the clips: convolution with a
   synthetic room response (a direct path plus exponentially decaying noise, RT60
   drawn from ``reverb_rt60_s``), mixed at a random wet level;
4. **background noise** on a ``background_frequency`` share of the clips (0.8): a
   window of a random ``_background_noise_`` recording at a random offset, scaled by
   ``U(0, background_volume)`` (0.1) - or, with ``noise_snr_db``, to a signal-to-noise
   ratio drawn from that range (clips with no signal keep the volume rule);
5. **gain**: the clip, noise included, scaled by a random ``gain_db`` (a quiet
   microphone, or one driven into clipping);
6. the sum is clipped to ``[-1, 1]`` (what an ADC does to a clip that is too loud).

Two steps work on features, not audio (both called by
:func:`trainer.features.augmented_features`):

* **microphone response** on a ``channel_probability`` share of the clips
  (:meth:`Augmenter.channel_gains`): the spectrum, noise included, is weighted by a
  random frequency response - a spectral tilt of up to ``channel_tilt_db`` dB per
  octave around 1 kHz (a muffled or a thin microphone), and each with probability
  1/2 a 2nd-order high-pass (``channel_highpass_hz``, small or distant microphones
  lose the bass) and low-pass (``channel_lowpass_hz``, band-limited or heavily
  compressed recordings). Real test speakers whose microphone colours the voice
  this way were the ones the live model missed. Applied to the magnitude spectrum
  (:meth:`kws_gui.core.frontend.Frontend.frame_features`'s ``band_gain``), it costs
  one multiply per spectrogram bin;
* SpecAugment-style time and frequency masks: :func:`spec_augment`.

NumPy only (no TensorFlow): the random draws are vectorised over the batch, the
noise is added with one multiply-add per noisy row, reverb is one batched FFT. The
caller passes the ``np.random.Generator`` so runs are reproducible.
"""

from __future__ import annotations

import numpy as np

from kws_gui.core.audio_io import SAMPLE_RATE
from kws_gui.core.train_config import (  # noqa: F401 (re-exported: trainer.augment's API)
    MAX_RT60_S,
    AugmentConfig,
    SpecAugmentConfig,
)

CHUNK_ROWS = 256  # bounds the zero-padded copy made for shifting
#: A clip quieter than this RMS has no signal to set a signal-to-noise ratio against.
MIN_SIGNAL_RMS = 1e-4


class Augmenter:
    """Applies :class:`AugmentConfig` to batches of equal-length clips.

    ``noise`` are background-noise recordings at ``sample_rate`` (e.g. from
    :func:`trainer.data.load_background_noise`); with none, only shifting is done.
    Recordings shorter than a clip are repeated to a clip's length when used.
    """

    def __init__(
        self, config: AugmentConfig, noise: list[np.ndarray], sample_rate: int = SAMPLE_RATE
    ) -> None:
        self.config = config
        self.sample_rate = int(sample_rate)
        self.noise = [np.asarray(n, dtype=np.float32).reshape(-1) for n in noise]
        self.noise = [n for n in self.noise if n.size > 0 and np.all(np.isfinite(n))]
        self.max_shift = int(round(config.time_shift_s * self.sample_rate))

    def channel_gains(self, n: int, frequencies: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
        """Magnitude gains (n, len(frequencies)), float32, of a random microphone per clip.

        Rows not drawn (``1 - channel_probability`` of them) are all ones; ``None`` when
        the step is off. See the module docstring for the response.
        """
        cfg = self.config
        if cfg.channel_probability <= 0 or n == 0:
            return None
        f = np.maximum(np.asarray(frequencies, dtype=np.float64), 1.0)[None, :]
        active = rng.random(n) < cfg.channel_probability
        tilt = rng.uniform(-cfg.channel_tilt_db, cfg.channel_tilt_db, size=n)
        db = tilt[:, None] * np.log2(f / 1000.0)
        gains = 10.0 ** (db / 20.0)
        highpass = np.exp(rng.uniform(*np.log(cfg.channel_highpass_hz), size=n))
        lowpass = np.exp(rng.uniform(*np.log(cfg.channel_lowpass_hz), size=n))
        use_hp = rng.random(n) < 0.5
        use_lp = rng.random(n) < 0.5
        gains[use_hp] /= np.sqrt(1.0 + (highpass[use_hp, None] / f) ** 4)
        gains[use_lp] /= np.sqrt(1.0 + (f / lowpass[use_lp, None]) ** 4)
        gains[~active] = 1.0
        return gains.astype(np.float32)

    def _noise_for(self, index: int, samples: int) -> np.ndarray:
        """Recording ``index``, repeated if needed so that it holds at least ``samples``."""
        noise = self.noise[index]
        if noise.size < samples:
            noise = np.resize(noise, samples)
        return noise

    def shift(self, audio: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Shift each row right by ``amounts[i]`` samples (left if negative), zero-filled.

        One gather over a zero-padded copy: row ``i`` is the window of the padded row
        that starts ``amounts[i]`` samples before the original start.
        """
        n, samples = audio.shape
        amounts = np.asarray(amounts, dtype=np.int64)
        margin = int(np.abs(amounts).max()) if n else 0
        if margin == 0:
            return audio.copy()
        if margin >= samples:
            raise ValueError(f"shift of {margin} samples is not shorter than the clip ({samples})")
        out = np.empty_like(audio)
        for start in range(0, n, CHUNK_ROWS):
            rows = audio[start : start + CHUNK_ROWS]
            padded = np.pad(rows, ((0, 0), (margin, margin)))
            windows = np.lib.stride_tricks.sliding_window_view(padded, samples, axis=1)
            out[start : start + len(rows)] = windows[
                np.arange(len(rows)), margin - amounts[start : start + CHUNK_ROWS]
            ]
        return out

    def __call__(self, audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augmented copy of ``audio`` (shape (n, samples), float32); the input is untouched."""
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"audio must be 2-D (n, samples), got shape {x.shape}")
        n, samples = x.shape
        if n == 0:
            return x.copy()
        cfg = self.config
        if cfg.speed > 0:
            x = speed_perturb(x, rng, cfg.speed)
        limit = min(self.max_shift, samples - 1)
        if limit > 0:
            amounts = rng.integers(-limit, limit + 1, size=n)
            out = self.shift(x, amounts)
        else:
            out = x.copy()
        if cfg.reverb_probability > 0:
            self._reverb(out, rng)
        if self.noise and cfg.background_frequency > 0 and (cfg.background_volume > 0 or cfg.noise_snr_db):
            self._add_noise(out, rng)
        if cfg.gain_db is not None:
            out *= (10.0 ** (rng.uniform(*cfg.gain_db, size=n) / 20.0)).astype(np.float32)[:, None]
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def _add_noise(self, out: np.ndarray, rng: np.random.Generator) -> None:
        """Background noise on a share of the rows, in place (volume or SNR rule)."""
        cfg = self.config
        n, samples = out.shape
        which = rng.integers(0, len(self.noise), size=n)
        active = rng.random(n) < cfg.background_frequency
        volumes = rng.uniform(0.0, cfg.background_volume, size=n).astype(np.float32)
        offsets = rng.random(n)
        snrs = rng.uniform(*cfg.noise_snr_db, size=n) if cfg.noise_snr_db is not None else None
        noises = [self._noise_for(k, samples) for k in range(len(self.noise))]
        # Row by row: each step is one fused multiply-add over a contiguous slice,
        # cheaper than gathering (rows x samples) windows with fancy indexing.
        for i in np.flatnonzero(active):
            noise = noises[which[i]]
            start = int(offsets[i] * (noise.size - samples + 1))
            window = noise[start : start + samples]
            volume = volumes[i]
            if snrs is not None:
                signal_rms = float(np.sqrt(np.mean(np.square(out[i], dtype=np.float64))))
                noise_rms = float(np.sqrt(np.mean(np.square(window, dtype=np.float64))))
                if signal_rms >= MIN_SIGNAL_RMS and noise_rms > 0:
                    volume = np.float32(signal_rms / noise_rms * 10.0 ** (-snrs[i] / 20.0))
            out[i] += volume * window

    def _reverb(self, out: np.ndarray, rng: np.random.Generator) -> None:
        """Synthetic room reverb on a share of the rows, in place (one batched FFT)."""
        cfg = self.config
        n, samples = out.shape
        rows = np.flatnonzero(rng.random(n) < cfg.reverb_probability)
        if rows.size == 0:
            return
        length = int(round(cfg.reverb_rt60_s[1] * self.sample_rate))
        t = np.arange(length, dtype=np.float64) / self.sample_rate
        rt60 = rng.uniform(*cfg.reverb_rt60_s, size=rows.size)
        tails = rng.standard_normal((rows.size, length)) * np.exp(-6.908 * t[None, :] / rt60[:, None])
        tails[:, : max(1, int(0.002 * self.sample_rate))] = 0.0  # the direct path comes first
        tails /= np.sqrt(np.sum(np.square(tails), axis=1, keepdims=True)) + 1e-12
        wet = rng.uniform(0.1, 0.6, size=rows.size)
        size = 1 << int(np.ceil(np.log2(samples + length)))
        spectra = np.fft.rfft(out[rows], size, axis=1) * np.fft.rfft(tails, size, axis=1)
        reverberant = np.fft.irfft(spectra, size, axis=1)[:, :samples]
        out[rows] += (wet[:, None] * reverberant).astype(np.float32)


def speed_perturb(audio: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Each clip played at a random speed in ``[1 - amount, 1 + amount]`` (pitch and tempo change).

    Linear interpolation around the clip's centre, zero outside the original: the
    classic speed-perturbation augmentation, which varies the voice beyond the
    training speakers. ``(n, samples)`` in and out.
    """
    n, samples = audio.shape
    out = np.zeros_like(audio)
    factors = rng.uniform(1.0 - amount, 1.0 + amount, size=n)
    t = np.arange(samples, dtype=np.float64)
    centre = (samples - 1) / 2.0
    for i, factor in enumerate(factors):
        source = centre + (t - centre) * factor
        out[i] = np.interp(source, t, audio[i], left=0.0, right=0.0)
    return out


def spec_augment(
    features: np.ndarray,
    rng: np.random.Generator,
    masks: int,
    time_width: int,
    freq_width: int,
    fill: np.ndarray | float = 0.0,
) -> np.ndarray:
    """SpecAugment-style masking, in place: ``masks`` time and ``masks`` frequency bands per clip.

    ``features`` is ``(n, frames, bins)``; each band is up to ``time_width`` frames
    (or ``freq_width`` bins) wide, at a random place, set to ``fill`` (the training
    mean per bin, so that the model's normalisation maps it to zero). Returns ``features``.
    """
    if masks <= 0 or features.size == 0:
        return features
    n, frames, bins = features.shape
    fill_row = np.broadcast_to(np.asarray(fill, dtype=features.dtype), (bins,))
    for axis, width_max, size in ((1, time_width, frames), (2, freq_width, bins)):
        if width_max <= 0:
            continue
        for _ in range(masks):
            widths = rng.integers(0, min(width_max, size) + 1, size=n)
            starts = (rng.random(n) * (size - widths + 1)).astype(np.int64)
            for i in np.flatnonzero(widths):
                a, b = int(starts[i]), int(starts[i] + widths[i])
                if axis == 1:
                    features[i, a:b, :] = fill_row
                else:
                    features[i, :, a:b] = fill_row[a:b]
    return features
