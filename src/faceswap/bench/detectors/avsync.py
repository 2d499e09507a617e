"""`avsync`: does the mouth move with the speech? Mouth opening vs audio energy over a video.

Per frame: inner-lip opening (landmarks 62/66) over mouth width (60/64); per frame time: RMS energy of
the audio in a window of one frame period. Features per video: Pearson correlation at lags of
-`max_lag`..`max_lag` frames (a swap that re-renders the mouth weakens and shifts it), the best
correlation and its lag, and the spread of the mouth signal. Only videos whose stream has an audio
track take part (`usable`): the others are left out of fit and score NaN, counted by the runner,
so "has a soundtrack" is never a feature.
"""

from __future__ import annotations

import numpy as np

from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.detectors.video import VideoFeatureDetector
from faceswap.bench.inputs import DetectorInput, MediaRef


def audio_energy(media: MediaRef, times: np.ndarray, window: float) -> np.ndarray | None:
    """RMS of the audio around each time (s) -> [T], or None without audio."""
    track = media.read_audio()
    if track is None:
        return None
    samples, rate = track
    half = max(1, int(window * rate / 2))
    centres = (times * rate).astype(int)
    return np.array(
        [
            np.sqrt(np.mean(samples[max(0, c - half) : c + half] ** 2)) if c - half < len(samples) else 0.0
            for c in centres
        ]
    )


def mouth_opening(landmarks: np.ndarray) -> np.ndarray:
    """[T,68,2] -> [T] inner-lip gap over mouth width."""
    gap = np.linalg.norm(landmarks[:, 62] - landmarks[:, 66], axis=1)
    width = np.linalg.norm(landmarks[:, 60] - landmarks[:, 64], axis=1) + 1e-6
    return gap / width


def lagged_correlations(a: np.ndarray, b: np.ndarray, max_lag: int) -> np.ndarray:
    """Pearson r of a[t] and b[t + lag] for lag in -max_lag..max_lag (0 where undefined)."""
    out = []
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[: len(a) - lag], b[lag:]) if lag >= 0 else (a[-lag:], b[: len(b) + lag])
        ok = len(x) > 2 and x.std() > 1e-8 and y.std() > 1e-8
        out.append(float(np.corrcoef(x, y)[0, 1]) if ok else 0.0)
    return np.array(out)


@DETECTORS.register("avsync")
class AVSyncDetector(VideoFeatureDetector):
    needs = frozenset({"landmarks", "video", "audio"})
    robust_to_crops = False

    def __init__(
        self, seed: int = 0, c_grid: tuple[float, ...] = (0.1, 1.0), max_lag: int = 3, min_frames: int = 8
    ) -> None:
        super().__init__(seed, c_grid)
        self.max_lag, self.min_frames = max_lag, min_frames

    def usable(self, x: DetectorInput) -> np.ndarray:
        """Frames with landmarks, a timestamp and a stream that has an audio track."""
        if x.media is None or x.landmarks is None or x.timestamps is None:
            return np.zeros(len(x), bool)
        audio = {m: m.has_audio() for m in dict.fromkeys(m for m in x.media if m is not None)}
        has = np.array([m is not None and audio[m] for m in x.media], bool)
        return has & np.isfinite(x.landmarks).all(axis=(1, 2))

    def video_features(self, video: DetectorInput) -> np.ndarray:
        assert video.landmarks is not None and video.media is not None and video.timestamps is not None
        times = video.timestamps
        period = float(np.median(np.diff(times))) if len(times) > 1 else 0.04
        energy = audio_energy(video.media[0], times, max(period, 1e-3))
        assert energy is not None  # `usable` kept only frames whose stream has audio
        mouth = mouth_opening(video.landmarks.astype(np.float64))
        corr = lagged_correlations(mouth, energy, self.max_lag)
        best = int(np.argmax(corr))
        return np.r_[corr, corr[best], best - self.max_lag, mouth.std()]
