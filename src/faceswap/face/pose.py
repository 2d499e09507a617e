"""Head pose (yaw, pitch, roll in degrees) from 68 landmarks with solvePnP on a generic 3-D face."""

from __future__ import annotations

import cv2
import numpy as np

# Rough adult anthropometry in mm, camera-like axes: x to the image right, y down, z away from the camera;
# origin at the nose tip. Index = iBUG point.
_MODEL_3D: dict[int, tuple[float, float, float]] = {
    30: (0.0, 0.0, 0.0),  # nose tip
    27: (0.0, -35.0, 20.0),  # nose root
    33: (0.0, 12.0, 12.0),  # below the nose
    8: (0.0, 65.0, 18.0),  # chin
    36: (-44.0, -32.0, 30.0),  # eye outer corners
    45: (44.0, -32.0, 30.0),
    39: (-14.0, -31.0, 24.0),  # eye inner corners
    42: (14.0, -31.0, 24.0),
    48: (-25.0, 30.0, 22.0),  # mouth corners
    54: (25.0, 30.0, 22.0),
    0: (-70.0, -25.0, 95.0),  # jaw ends near the ears
    16: (70.0, -25.0, 95.0),
}
_INDICES = np.array(list(_MODEL_3D))
_POINTS_3D = np.array(list(_MODEL_3D.values()), np.float64)


def head_pose(landmarks68: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees; image_size is (height, width). Frontal ~ (0, 0, 0);
    yaw > 0 = face turned to the image right, pitch > 0 = looking down, roll > 0 = clockwise in the image."""
    h, w = image_size[:2]
    focal = float(max(h, w))
    camera = np.array([[focal, 0, w / 2.0], [0, focal, h / 2.0], [0, 0, 1]], np.float64)
    image_points = np.asarray(landmarks68, np.float64)[_INDICES]
    ok, rvec, _ = cv2.solvePnP(_POINTS_3D, image_points, camera, None, flags=cv2.SOLVEPNP_EPNP)
    if not ok:
        return float("nan"), float("nan"), float("nan")
    rot, _ = cv2.Rodrigues(rvec)
    angles = cv2.RQDecomp3x3(rot)[0]  # degrees about x, y, z
    pitch, yaw, roll = (float(a) for a in angles)
    return -yaw, -pitch, roll
