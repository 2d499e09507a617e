"""Drivers for the training-free families: frames of the OTHER identity that give a fake its face or motion.

Only the face region of a driver frame is kept (a margin around its landmarks), so pools stay small on
HD video. `pose_pool` spreads at most N frames evenly over all of an identity's frames (mesh_swap picks the
nearest pose per target frame); `video_sequences` keeps the first N consecutive frames of a few videos
(reenact and mouth play one as a temporally coherent driving sequence per target video).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from faceswap.face.landmarks import MIRROR_68
from faceswap.synth.targets import TargetFrame
from faceswap.utils.errors import FaceswapError

T = TypeVar("T")
REGION_MARGIN = 0.6  # kept region = landmark box grown by this x its larger side on every edge


@dataclass(frozen=True)
class DriverFrame:
    image: np.ndarray  # [h,w,3] uint8: the face region of the driver frame
    landmarks: np.ndarray  # [68,2] float32 in `image` px
    frame_landmarks: np.ndarray  # [68,2] float32 in the original frame px (pose matching)
    identity: str
    video_id: str
    frame_index: int
    mirrored: bool = False  # the frame's horizontal mirror image (mirrored(): a face turned the other way)


def face_region(tf: TargetFrame, margin: float = REGION_MARGIN) -> DriverFrame:
    """The frame cut to its face (landmark box + margin, clipped to the frame), landmarks moved along."""
    lm = np.asarray(tf.landmarks, np.float32)
    lo, hi = lm.min(0), lm.max(0)
    pad = float(max(hi - lo)) * margin
    h, w = tf.image.shape[:2]
    x0, y0 = max(0, int(lo[0] - pad)), max(0, int(lo[1] - pad))
    x1, y1 = min(w, int(np.ceil(hi[0] + pad))), min(h, int(np.ceil(hi[1] + pad)))
    image = np.ascontiguousarray(tf.image[y0:y1, x0:x1])
    return DriverFrame(image, lm - np.array([x0, y0], np.float32), lm, tf.identity, tf.video_id, tf.frame_index)


def mirrored(d: DriverFrame) -> DriverFrame:
    """The driver's horizontal mirror: a face turned the other way, its 68 points renumbered left <-> right
    (`frame_landmarks` mirrored about the face's own centre, which is all pose matching needs)."""
    order = list(MIRROR_68)
    lm = d.landmarks.copy()
    lm[:, 0] = d.image.shape[1] - 1 - lm[:, 0]
    frame_lm = d.frame_landmarks.copy()
    frame_lm[:, 0] = 2 * frame_lm[:, 0].mean() - frame_lm[:, 0]
    image = np.ascontiguousarray(d.image[:, ::-1])
    return DriverFrame(image, lm[order], frame_lm[order], d.identity, d.video_id, d.frame_index, not d.mirrored)


def evenly(items: Iterable[T], limit: int) -> list[T]:
    """At most `limit` items spread evenly over the whole iterable, in one pass (the stride doubles when full)."""
    kept: list[T] = []
    stride = 1
    for n, item in enumerate(items):
        if n % stride:
            continue
        kept.append(item)
        if len(kept) > limit:
            kept, stride = kept[::2], stride * 2
    return kept


def pose_pool(frames: Iterable[TargetFrame], limit: int) -> list[DriverFrame]:
    """Up to `limit` face regions spread over all `frames` (one identity's), for nearest-pose picking."""
    pool = [face_region(tf) for tf in evenly(frames, limit)]
    if not pool:
        raise FaceswapError("no driver frames with a face were found", "give the partner identity frames with faces")
    return pool


def video_sequences(frames: Iterable[TargetFrame], length: int, max_videos: int) -> dict[str, list[DriverFrame]]:
    """The first `length` frames of each of up to `max_videos` videos, as consecutive face regions."""
    sequences: dict[str, list[DriverFrame]] = {}
    for tf in frames:
        seq = sequences.get(tf.video_id)
        if seq is None:
            if len(sequences) >= max_videos:
                break
            seq = sequences[tf.video_id] = []
        if len(seq) < length:
            seq.append(face_region(tf))
    if not sequences:
        raise FaceswapError("no driver frames with a face were found", "give the partner identity frames with faces")
    return sequences


def ping_pong(step: int, length: int) -> int:
    """Index into a sequence of `length` frames played forward, backward, forward, ... (no jump at the end)."""
    if length <= 1:
        return 0
    period = 2 * (length - 1)
    m = step % period
    return m if m < length else period - m
