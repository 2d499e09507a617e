"""Per-frame face extraction: align, mask, measure (pose, blur, identity) and filter the faces of one frame.

Detection/tracking happens before (FaceTracker for video, detector + landmarker for stills); this module
turns (box, 68 points) into aligned crops and counts every face it drops by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from faceswap.face.align import align_face, check_face_type
from faceswap.face.detect import FaceBox
from faceswap.face.filters import DuplicateFilter, FaceFilters, blur_score
from faceswap.face.identity import descriptor_distance, face_descriptor
from faceswap.face.masks import hull_mask
from faceswap.face.pose import head_pose


@dataclass(frozen=True)
class FaceCandidate:
    bbox: FaceBox
    landmarks: np.ndarray  # [68,2] frame px
    track_id: int | None = None  # None for stills


@dataclass
class ExtractedFace:
    crop: np.ndarray  # [S,S,3] uint8
    mask: np.ndarray  # [S,S] float32 in {0,1}
    landmarks: np.ndarray  # [68,2] frame px
    landmarks_crop: np.ndarray  # [68,2] crop px
    matrix: np.ndarray  # [2,3] frame -> crop
    bbox: FaceBox
    pose: tuple[float, float, float]
    blur: float
    identity_distance: float | None
    track_id: int | None = None


class IdentityMatcher:
    """Distance of a face to reference descriptors, cached per track for `every` frames (the ResNet costs
    ~0.15 s on a CPU, so a tracked face is re-checked only now and then)."""

    def __init__(self, references: Sequence[np.ndarray], every: int = 25) -> None:
        self.references = [np.asarray(r, np.float32) for r in references]
        self.every = max(1, int(every))
        self._cache: dict[int, tuple[float, int]] = {}
        self._frame = 0

    def next_frame(self) -> None:
        self._frame += 1

    def reset(self) -> None:
        self._cache.clear()

    def distance(self, image: np.ndarray, landmarks: np.ndarray, track_id: int | None) -> float:
        if track_id is not None and track_id in self._cache:
            dist, at = self._cache[track_id]
            if self._frame - at < self.every:
                return dist
        dist = descriptor_distance(face_descriptor(image, landmarks), self.references)
        if track_id is not None:
            self._cache[track_id] = (dist, self._frame)
        return dist


@dataclass
class FaceExtractor:
    """Holds the alignment settings, the filters, and the state that spans frames (duplicates, identity cache)."""

    size: int = 128
    face_type: str = "full"
    padding: float = 0.0
    max_faces: int = 1  # faces kept per frame, best first (identity match, else size); 0 = all
    filters: FaceFilters = field(default_factory=FaceFilters)
    identity: IdentityMatcher | None = None
    _dups: DuplicateFilter = field(init=False)

    def __post_init__(self) -> None:
        check_face_type(self.face_type)
        self._dups = DuplicateFilter(self.filters.near_duplicate)

    def extract(self, image: np.ndarray, candidates: Sequence[FaceCandidate]) -> tuple[list[ExtractedFace], Counter]:
        """image RGB uint8 [H,W,3] -> kept faces and {reason: count} of dropped ones."""
        dropped: Counter = Counter()
        if self.identity is not None:
            self.identity.next_frame()
        if not candidates:
            dropped["no_face"] += 1
            return [], dropped
        ranked = self._rank(image, candidates)
        kept: list[ExtractedFace] = []
        for cand, dist in ranked:
            if self.max_faces and len(kept) >= self.max_faces:
                dropped["extra_face"] += 1
                continue
            face, reason = self._one(image, cand, dist)
            if reason:
                dropped[reason] += 1
            else:
                kept.append(face)
        return kept, dropped

    def _rank(self, image: np.ndarray, candidates: Sequence[FaceCandidate]) -> list[tuple[FaceCandidate, float | None]]:
        if self.identity is None:
            return [(c, None) for c in sorted(candidates, key=lambda c: -c.bbox.size)]
        scored = [(c, self.identity.distance(image, c.landmarks, c.track_id)) for c in candidates]
        return sorted(scored, key=lambda cd: cd[1])

    def _one(
        self, image: np.ndarray, cand: FaceCandidate, dist: float | None
    ) -> tuple[ExtractedFace | None, str | None]:
        f = self.filters
        reason = f.check_size(cand.bbox.size)
        if reason:
            return None, reason
        landmarks = cand.landmarks
        aligned = align_face(image, landmarks, self.size, self.face_type, self.padding)
        reason = f.check_landmarks(landmarks, aligned.landmarks_crop, self.size, self.face_type, self.padding)
        if reason:
            return None, reason
        pose = head_pose(landmarks, image.shape[:2])
        reason = f.check_pose(pose)
        if reason:
            return None, reason
        mask = hull_mask(aligned.landmarks_crop, self.size, self.face_type)
        blur = blur_score(aligned.crop, mask)
        reason = f.check_blur(blur) or f.check_identity(dist)
        if reason:
            return None, reason
        if self._dups.is_duplicate(aligned.crop):
            return None, "duplicate"
        return ExtractedFace(
            aligned.crop,
            mask,
            landmarks,
            aligned.landmarks_crop,
            aligned.matrix,
            cand.bbox,
            pose,
            blur,
            dist,
            cand.track_id,
        ), None
