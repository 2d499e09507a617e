"""Fake frames and their ground-truth blend masks through the swap engine's parts.

The one place that turns (frame, landmarks) into a swapped frame for `generate`: it reuses
`SwapEngine.generate`, its post-processor and mask mode, and `swap.paste.paste_face`, so fakes are
made exactly as `faceswap swap` makes them, and additionally returns the blend mask in frame space.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.face.align import align_face, invert_matrix
from faceswap.face.masks import hull_mask
from faceswap.postprocess.mask import combine_masks
from faceswap.swap.engine import SwapEngine
from faceswap.swap.paste import paste_face


@dataclass(frozen=True)
class FakeFrame:
    image: np.ndarray  # [H,W,3] uint8, the swapped frame
    mask: np.ndarray  # [H,W] float32 in [0,1], the blend weight of the generated face


def swap_with_masks(engine: SwapEngine, frames: list[np.ndarray], landmarks: list[np.ndarray]) -> list[FakeFrame]:
    """Swap one face per frame (its 68 landmarks, frame px); frames are not modified."""
    aligned = [
        align_face(f, lm, engine.resolution, engine.face_type, engine.padding)
        for f, lm in zip(frames, landmarks, strict=True)
    ]
    generated, learned = engine.generate([a.crop for a in aligned])  # [N,R,R,3], [N,R,R]
    out = []
    for frame, face_in, gen, lmask in zip(frames, aligned, generated, learned, strict=True):
        hull = (
            None
            if engine.mask_mode == "learned"
            else hull_mask(face_in.landmarks_crop, engine.resolution, engine.face_type)
        )
        crop_mask = combine_masks(engine.mask_mode, lmask, hull)
        face, soft = engine.post.process_crop(gen, face_in.crop, crop_mask, face_in.landmarks_crop)
        fake = paste_face(frame.copy(), face, soft, face_in.matrix, engine.post.blend)
        height, width = frame.shape[:2]
        mask = cv2.warpAffine(
            soft.astype(np.float32),
            invert_matrix(face_in.matrix),
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0,
        )
        mask[mask < 1.0 / 255.0] = 0.0
        out.append(FakeFrame(fake, np.clip(mask, 0.0, 1.0)))
    return out
