"""`headpose`: inconsistent head poses (Yang, Li & Lyu, ICASSP 2019).

A spliced face moves the central landmarks (nose, inner eyes, mouth) relative to the outer ones
(jaw, outer eyes, chin). Pose estimated from the whole face and from the central region then
disagree; the differences of rotation vectors and normalised translations feed a linear classifier
(an SVM in the paper; logistic regression here). Needs landmarks fitted on the crop itself
(`generate.landmarks=redetect`), not the target's.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.bench.detectors.base import FeatureDetector
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput
from faceswap.face.pose import _MODEL_3D as MODEL_3D  # generic 3-D face shared with face.pose (mm)

WHOLE = sorted(MODEL_3D)
CENTRAL = [27, 30, 33, 39, 42, 48, 54]  # nose root/tip/base, inner eye corners, mouth corners


def solve_pose(points_2d: np.ndarray, indices: list[int], size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(rvec [3], tvec [3]) of the generic face seen at `points_2d[indices]` by a pinhole camera of the crop."""
    camera = np.array([[size, 0, size / 2.0], [0, size, size / 2.0], [0, 0, 1]], np.float64)
    obj = np.array([MODEL_3D[i] for i in indices], np.float64)
    img = points_2d[indices].astype(np.float64)
    ok, rvec, tvec = cv2.solvePnP(obj, img, camera, None, flags=cv2.SOLVEPNP_EPNP)
    if ok:  # refine from the closed-form start (avoids flipped local minima of the iterative solver)
        ok, rvec, tvec = cv2.solvePnP(obj, img, camera, None, rvec, tvec, True, flags=cv2.SOLVEPNP_ITERATIVE)
    return (rvec.ravel(), tvec.ravel()) if ok else None


def pose_difference(landmarks: np.ndarray, size: int) -> np.ndarray:
    """[68,2] crop px -> [8]: relative rotation (3), normalised translation difference in the whole-face
    frame (3), the angle between the two poses (deg) and the ratio of their distances."""
    if not np.isfinite(landmarks).all():
        return np.zeros(8)
    whole, central = solve_pose(landmarks, WHOLE, size), solve_pose(landmarks, CENTRAL, size)
    if whole is None or central is None:
        return np.zeros(8)
    (r_a, t_a), (r_c, t_c) = whole, central
    rot_a, rot_c = cv2.Rodrigues(r_a)[0], cv2.Rodrigues(r_c)[0]
    relative = rot_a.T @ rot_c
    cos_angle = np.clip((np.trace(relative) - 1.0) / 2.0, -1.0, 1.0)
    norm = np.linalg.norm(t_a) + 1e-6
    return np.r_[
        cv2.Rodrigues(relative)[0].ravel(),
        rot_a.T @ (t_c - t_a) / norm,
        np.degrees(np.arccos(cos_angle)),
        np.linalg.norm(t_c) / norm,
    ]


@DETECTORS.register("headpose")
class HeadPoseDetector(FeatureDetector):
    needs = frozenset({"landmarks"})
    robust_to_crops = False  # uses the landmarks stored with the dataset

    def features(self, x: DetectorInput) -> np.ndarray:
        assert x.landmarks is not None
        return np.stack([pose_difference(lm, x.size) for lm in x.landmarks])
