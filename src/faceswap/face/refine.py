"""Second landmark pass: re-fit the 68 points on the face aligned to the mean face, then map them back.

The predictor then always sees an upright, normalised face, which removes part of the box-dependent noise:
on real talking-head clips the frame-to-frame jitter drops 5-25 % (see docs/faceset.md). Wraps any
Landmarker, so it works for video (inside FaceTracker, before smoothing) and for stills alike.
"""

from __future__ import annotations

import numpy as np

from faceswap.face.align import align_face, invert_matrix, transform_points
from faceswap.face.detect import FaceBox
from faceswap.face.landmarks import Landmarker


class RefinedLandmarker(Landmarker):
    """`base` first on the frame, then again on a `size` px `full` crop aligned from that first result."""

    def __init__(self, base: Landmarker, size: int = 256) -> None:
        self.base, self.size = base, int(size)

    def __call__(self, image: np.ndarray, box: FaceBox) -> np.ndarray:
        first = self.base(image, box)
        aligned = align_face(image, first, self.size, "full")
        refit = self.base(aligned.crop, FaceBox.from_landmarks(aligned.landmarks_crop))
        return transform_points(refit, invert_matrix(aligned.matrix)).astype(np.float32)  # [68,2]
