"""`blink`: eye-aspect-ratio statistics over a video (blink rate, duration, EAR distribution).

EAR = (|p2-p6| + |p3-p5|) / (2 |p1-p4|) per eye (Soukupova & Cech 2016); a blink is a run of frames
below `threshold`. Early deepfakes blinked rarely ("In Ictu Oculi", Li et al. 2018); alone the cue
is weak (~0.79 AUC there) and useless on footage without blinks (the embedded sample photos).
"""

from __future__ import annotations

import numpy as np

from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.detectors.video import VideoFeatureDetector
from faceswap.bench.inputs import DetectorInput

LEFT_EYE = [36, 37, 38, 39, 40, 41]
RIGHT_EYE = [42, 43, 44, 45, 46, 47]


def eye_aspect_ratio(landmarks: np.ndarray) -> np.ndarray:
    """[N,68,2] -> [N] mean EAR of both eyes."""

    def ear(eye: list[int]) -> np.ndarray:
        p = landmarks[:, eye]  # [N,6,2]
        vertical = np.linalg.norm(p[:, 1] - p[:, 5], axis=1) + np.linalg.norm(p[:, 2] - p[:, 4], axis=1)
        return vertical / (2.0 * np.linalg.norm(p[:, 0] - p[:, 3], axis=1) + 1e-6)

    return (ear(LEFT_EYE) + ear(RIGHT_EYE)) / 2.0


def blink_runs(closed: np.ndarray) -> list[int]:
    """Lengths of consecutive True runs."""
    runs, n = [], 0
    for c in closed.tolist():
        if c:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return [*runs, n] if n else runs


@DETECTORS.register("blink")
class BlinkDetector(VideoFeatureDetector):
    needs = frozenset({"landmarks", "video"})
    robust_to_crops = False  # works on landmarks fitted at generate time

    def __init__(
        self, seed: int = 0, c_grid: tuple[float, ...] = (0.1, 1.0), threshold: float = 0.21, min_frames: int = 8
    ) -> None:
        super().__init__(seed, c_grid)
        self.threshold, self.min_frames = threshold, min_frames

    def video_features(self, video: DetectorInput) -> np.ndarray:
        assert video.landmarks is not None
        ear = eye_aspect_ratio(video.landmarks.astype(np.float64))
        ear = ear[np.isfinite(ear)]
        if ear.size == 0:
            return np.zeros(7)
        times = video.timestamps if video.timestamps is not None else np.arange(len(video)) / 25.0
        seconds = max(float(np.ptp(times)), 1.0 / 25.0)
        runs = blink_runs(ear < self.threshold)
        return np.array(
            [
                ear.mean(),
                ear.std(),
                ear.min(),
                np.percentile(ear, 10),
                len(runs) / seconds,
                float(np.mean(runs)) if runs else 0.0,
                (ear < self.threshold).mean(),
            ]
        )
