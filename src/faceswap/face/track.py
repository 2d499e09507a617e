"""Video face tracking: detect every k frames, follow faces through their landmarks in between, re-detect
on loss, and smooth the 68 points over time. What swap/generate call per frame of a video."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from faceswap.face.detect import FaceBox, FaceDetector
from faceswap.face.landmarks import Landmarker
from faceswap.face.smoothing import OneEuroFilter, interocular


@dataclass
class TrackedFace:
    track_id: int
    bbox: FaceBox  # frame px (from the detector, or from the landmarks between detections)
    landmarks: np.ndarray  # [68,2] float32, smoothed when smoothing is on
    raw_landmarks: np.ndarray  # [68,2] float32, as the landmarker gave them
    detected: bool  # True on frames where the detector (not the tracker) produced the box
    _filter: OneEuroFilter | None = field(default=None, repr=False)
    _patch: np.ndarray | None = field(default=None, repr=False)  # [24,24] gray of the face, for loss checks


class FaceTracker:
    """`update(frame) -> list[TrackedFace]`, ordered by face size (largest first).

    detect_every: run the detector every k frames (1 = every frame); in between, each face's box is
    re-derived from its previous landmarks. A face whose landmarks jump or collapse triggers a re-detect.
    smoothing: None/False for raw landmarks, True for defaults, or One-Euro kwargs {min_cutoff, beta, d_cutoff}.
    Detection frames search a window around each tracked face, rescaled so the face is ~`roi_face` px (~8x
    cheaper than scanning a 512 px frame); every `full_every`-th one also scans the frame at half
    resolution for new faces. The first frame and frames where a face was lost scan at full resolution.
    """

    def __init__(
        self,
        detector: FaceDetector,
        landmarker: Landmarker,
        detect_every: int = 5,
        smoothing: dict | bool | None = None,
        max_faces: int = 0,
        min_iou: float = 0.3,
        fps: float = 25.0,
        full_every: int = 6,
        roi_face: int = 90,
    ) -> None:
        self.detector, self.landmarker = detector, landmarker
        self.detect_every = max(1, int(detect_every))
        if smoothing is True:
            smoothing = {}
        self.smoothing = dict(smoothing) if isinstance(smoothing, dict) else None
        self.max_faces, self.min_iou, self.fps = int(max_faces), float(min_iou), float(fps)
        self.full_every, self.roi_face = max(1, int(full_every)), int(roi_face)
        self.tracks: list[TrackedFace] = []
        self.frame_count = 0
        self.detections_run = 0
        self._next_id = 0
        self._force_detect = True

    def reset(self) -> None:
        self.tracks, self.frame_count, self._force_detect = [], 0, True

    def update(self, frame: np.ndarray, time: float | None = None) -> list[TrackedFace]:
        """frame: RGB uint8 [H,W,3]; time in s (defaults to frame_count / fps) drives the smoothing."""
        t = self.frame_count / self.fps if time is None else float(time)
        if self._force_detect or not self.tracks or self.frame_count % self.detect_every == 0:
            full = self._force_detect or not self.tracks or self.detections_run % self.full_every == 0
            self._detect(frame, full)
        else:
            self._follow(frame)
        self.frame_count += 1
        for track in self.tracks:
            track.landmarks = self._smooth(track, t)
        return list(self.tracks)

    def _detect(self, frame: np.ndarray, full: bool = True) -> None:
        """First/lost: scan the frame. Periodic (`full`): search near known faces + a half-resolution scan
        for newcomers (faces >= ~2x HOG's 80 px window). Otherwise: only near known faces."""
        self.detections_run += 1
        forced = self._force_detect or not self.tracks
        self._force_detect = False
        if forced:
            boxes = self.detector(frame)
        else:
            boxes = self._detect_near_tracks(frame)
            if full:
                boxes += [b for b in self._detect_scaled(frame, 0.5) if all(b.iou(o) < 0.3 for o in boxes)]
        if self.max_faces:
            boxes = sorted(boxes, key=lambda b: -b.size)[: self.max_faces]
        previous, self.tracks = self.tracks, []
        for box in boxes:
            match = max(previous, key=lambda tr: tr.bbox.iou(box), default=None)
            if match is not None and match.bbox.iou(box) >= self.min_iou:
                previous.remove(match)
            else:
                match = TrackedFace(
                    self._next_id, box, np.zeros((68, 2), np.float32), np.zeros((68, 2), np.float32), True
                )
                self._next_id += 1
            raw = self.landmarker(frame, box)
            match.bbox, match.raw_landmarks, match.detected = box, raw, True
            match._patch = face_patch(frame, FaceBox.from_landmarks(raw))  # same box rule as in _follow
            self.tracks.append(match)
        self.tracks.sort(key=lambda tr: -tr.bbox.size)

    def _detect_scaled(self, frame: np.ndarray, scale: float) -> list[FaceBox]:
        small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return [b.scaled(1.0 / scale) for b in self.detector(small)]

    def _detect_near_tracks(self, frame: np.ndarray) -> list[FaceBox]:
        """Detect inside a window of 1.8x each tracked face, rescaled so the face is ~roi_face px (HOG's
        smallest window is 80 px, so a ~160 px image and few pyramid levels: ~4x cheaper than a 512 px scan)."""
        h, w = frame.shape[:2]
        found: list[FaceBox] = []
        for track in self.tracks:
            cx, cy = track.bbox.center
            half = 0.9 * max(track.bbox.width, track.bbox.height)
            x0, y0 = int(max(cx - half, 0)), int(max(cy - half, 0))
            x1, y1 = int(min(cx + half, w)), int(min(cy + half, h))
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            zoom = self.roi_face / max(track.bbox.size, 1.0)
            window = cv2.resize(
                frame[y0:y1, x0:x1],
                None,
                fx=zoom,
                fy=zoom,
                interpolation=cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR,
            )
            for box in self.detector(window):
                full = box.scaled(1.0 / zoom)
                full = FaceBox(full.x0 + x0, full.y0 + y0, full.x1 + x0, full.y1 + y0, box.score)
                if all(full.iou(other) < 0.5 for other in found):
                    found.append(full)
        if not found:
            self._force_detect = True  # lost everything: scan the whole frame next time
        return found

    def _follow(self, frame: np.ndarray) -> None:
        """Re-fit each face's landmarks in the box its last landmarks imply; if any face looks lost
        (landmarks jump or collapse, or the box no longer looks like the face it held), re-detect now."""
        lost = False
        for track in self.tracks:
            box = FaceBox.from_landmarks(track.raw_landmarks, track.bbox.score)
            raw = self.landmarker(frame, box)
            patch = face_patch(frame, box)
            if _lost(track.raw_landmarks, raw) or (track._patch is not None and ncc(track._patch, patch) < 0.5):
                lost = True
            track.bbox, track.raw_landmarks, track.detected, track._patch = box, raw, False, patch
        if lost:
            self._detect(frame, full=True)

    def _smooth(self, track: TrackedFace, t: float) -> np.ndarray:
        if self.smoothing is None:
            return track.raw_landmarks
        if track._filter is None:
            track._filter = OneEuroFilter(**self.smoothing)
        scale = max(interocular(track.raw_landmarks), 1.0)
        return track._filter(track.raw_landmarks, t, scale).astype(np.float32)


def face_patch(frame: np.ndarray, box: FaceBox, size: int = 24) -> np.ndarray:
    """Small thumbnail of the box's green channel (a cheap luminance), float32 [size,size]."""
    h, w = frame.shape[:2]
    x0, y0 = int(max(box.x0, 0)), int(max(box.y0, 0))
    x1, y1 = int(min(box.x1, w)), int(min(box.y1, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((size, size), np.float32)
    green = np.ascontiguousarray(frame[y0:y1, x0:x1, 1])
    return cv2.resize(green, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def ncc(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised cross-correlation in [-1,1]: invariant to brightness and contrast; 0 for a flat patch."""
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 1e-6 else 0.0


def _lost(previous: np.ndarray, current: np.ndarray) -> bool:
    """A face is lost when its landmark cloud changes size by > 35 % or its centre jumps > 50 % of its size."""
    size_prev = float(np.sqrt(np.prod(np.ptp(previous, axis=0)) + 1e-6))
    size_cur = float(np.sqrt(np.prod(np.ptp(current, axis=0)) + 1e-6))
    jump = float(np.linalg.norm(previous.mean(0) - current.mean(0)))
    return not (0.65 < size_cur / size_prev < 1.35) or jump > 0.5 * size_prev
