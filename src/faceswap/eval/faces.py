"""Face measurements that eval needs per frame: landmarks, pose, identity descriptor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceswap.data.faceset import read_faceset
from faceswap.face.detect import create_face_detector
from faceswap.face.identity import face_descriptor
from faceswap.face.landmarks import create_landmarker
from faceswap.face.pose import head_pose
from faceswap.media.image import read_image
from faceswap.utils.logging import progress


@dataclass
class FaceMeasure:
    landmarks: np.ndarray  # [68,2] frame px
    pose: tuple[float, float, float]  # yaw, pitch, roll (deg)
    descriptor: np.ndarray  # [128]


class FaceMeter:
    """Detect the largest face and measure it; the offline dlib backends by default."""

    def __init__(self, detector: str = "dlib_hog", landmarker: str = "dlib68") -> None:
        self.detect = create_face_detector(detector)
        self.landmarks = create_landmarker(landmarker)

    def measure(self, image: np.ndarray) -> FaceMeasure | None:
        boxes = self.detect(image)
        if not boxes:
            return None
        box = max(boxes, key=lambda b: (b.x1 - b.x0) * (b.y1 - b.y0))
        points = self.landmarks(image, box)
        pose = head_pose(points, image.shape[:2])
        return FaceMeasure(points, tuple(float(v) for v in pose), np.asarray(face_descriptor(image, points)))


def mean_descriptor(faces_dir: Path, limit: int = 64) -> np.ndarray:
    """Mean dlib descriptor of an identity, from its aligned face set (crop landmarks are stored)."""
    rows = read_faceset(faces_dir)
    step = max(1, len(rows) // limit)
    descs = []
    for row in progress(rows[::step][:limit], f"descriptors {Path(faces_dir).name}"):
        crop = read_image(Path(faces_dir) / row["file"])
        descs.append(face_descriptor(crop, np.asarray(row["landmarks_crop"], np.float32)))
    if not descs:
        from faceswap.utils.errors import NoFaceError

        raise NoFaceError(f"face set {faces_dir} is empty", "run `faceswap preprocess` first")
    return np.mean(np.stack(descs), axis=0)
