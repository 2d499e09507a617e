"""Which faces of a frame to swap: the largest, all, or those matching reference photos of the person."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from faceswap.face.track import TrackedFace
from faceswap.utils.errors import ConfigError, NoFaceError

SELECTIONS = ("largest", "all", "reference")


def reference_descriptors(paths: Sequence[str | os.PathLike[str]], detector, landmarker) -> list[np.ndarray]:
    """128-D descriptors of the largest face in each reference photo."""
    from faceswap.face.identity import face_descriptor
    from faceswap.media.image import read_image

    out = []
    for path in paths:
        image = read_image(_reference_path(path))
        boxes = detector(image)
        if not boxes:
            raise NoFaceError(f"no face found in reference photo {path}", "use a clear, frontal photo of the person")
        box = max(boxes, key=lambda b: b.size)
        out.append(face_descriptor(image, landmarker(image, box)))
    return out


def _reference_path(path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """A file path, or the name of an embedded sample photo (`astronaut`, `grace_hopper`)."""
    if os.path.exists(path) or os.sep in str(path):
        return path
    from faceswap.data.sample_clip import sample_photo_path

    try:
        return sample_photo_path(str(path))
    except Exception:
        return path


class FaceSelector:
    """Stateful per video: a track's identity decision is cached by track id (descriptors are costly)."""

    def __init__(self, mode: str = "largest", references: Sequence[np.ndarray] = (), threshold: float = 0.6) -> None:
        if mode not in SELECTIONS:
            raise ConfigError(
                f"unknown face selection '{mode}'", f"choose one of: {', '.join(SELECTIONS)}", param="faces"
            )
        if mode == "reference" and not references:
            raise ConfigError(
                "face selection 'reference' needs reference photos", "give photos of the person", param="reference"
            )
        self.mode, self.references, self.threshold = mode, list(references), float(threshold)
        self._decisions: dict[int, bool] = {}

    def reset(self) -> None:
        self._decisions.clear()

    def __call__(self, frame: np.ndarray, faces: list[TrackedFace]) -> list[TrackedFace]:
        if not faces or self.mode == "all":
            return list(faces)
        if self.mode == "largest":
            return [max(faces, key=lambda f: f.bbox.size)]
        return [f for f in faces if self._matches(frame, f)]

    def _matches(self, frame: np.ndarray, face: TrackedFace) -> bool:
        from faceswap.face.identity import descriptor_distance, face_descriptor

        if face.track_id not in self._decisions or face.detected:
            distance = descriptor_distance(face_descriptor(frame, face.raw_landmarks), self.references)
            self._decisions[face.track_id] = distance < self.threshold
        return self._decisions[face.track_id]
