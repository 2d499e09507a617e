"""Alignment: Umeyama recovers known similarities, re-projection is exact, paste-back touches only the mask."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.face.align import (
    FACE_TYPES,
    align_face,
    alignment_matrix,
    invert_matrix,
    paste_back,
    template_points,
    transform_points,
    umeyama,
)
from faceswap.face.masks import eye_mask, feather, hull_mask, mouth_mask
from faceswap.face.mean_face import MEAN_FACE_68
from faceswap.utils.errors import ConfigError


def _similarity(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = np.cos(np.radians(angle)) * scale, np.sin(np.radians(angle)) * scale
    return np.array([[c, -s, tx], [s, c, ty]])


def test_umeyama_recovers_a_known_similarity() -> None:
    src = np.random.default_rng(0).uniform(0, 100, (30, 2))
    truth = _similarity(23.0, 1.7, 12.0, -5.0)
    assert np.allclose(umeyama(src, transform_points(src, truth)), truth, atol=1e-9)


def test_aligned_face_is_upright_and_reprojects_within_a_pixel() -> None:
    frame_pts = transform_points(MEAN_FACE_68 * 150, _similarity(-30.0, 1.0, 200.0, 120.0))  # a tilted face
    image = np.zeros((480, 640, 3), np.uint8)
    aligned = align_face(image, frame_pts, 128, "full")
    assert aligned.crop.shape == (128, 128, 3)
    assert np.abs(aligned.landmarks_crop - template_points(128, "full")).max() < 1e-3
    back = transform_points(aligned.landmarks_crop, invert_matrix(aligned.matrix))
    assert np.abs(back - frame_pts).max() < 1.0


def test_face_types_nest_from_half_to_head() -> None:
    spans = [np.ptp(template_points(256, ft), axis=0).max() for ft in ("half", "full", "whole_face", "head")]
    assert spans == sorted(spans, reverse=True) and set(FACE_TYPES) == {"half", "full", "whole_face", "head"}
    assert np.ptp(template_points(256, "full", padding=0.25), axis=0).max() == pytest.approx(spans[1] / 1.25)
    with pytest.raises(ConfigError):
        template_points(128, "torso")


def test_alignment_rejects_bad_landmarks() -> None:
    with pytest.raises(ValueError):
        alignment_matrix(np.full((68, 2), np.nan), 128)


def test_paste_back_changes_only_pixels_under_the_mask() -> None:
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    pts = transform_points(MEAN_FACE_68 * 100, _similarity(10.0, 1.0, 100.0, 60.0))
    aligned = align_face(frame, pts, 96)
    mask = hull_mask(aligned.landmarks_crop, 96)
    out = paste_back(frame, np.full_like(aligned.crop, 255), mask, aligned.matrix)
    inv = invert_matrix(aligned.matrix)
    warped = cv2.warpAffine(mask, inv, (320, 240))
    changed = (out != frame).any(axis=2)
    assert changed.sum() > 0.5 * (warped > 0.5).sum()
    assert not changed[warped == 0].any()
    assert out[int(pts[30, 1]), int(pts[30, 0])].tolist() == [255, 255, 255]  # nose tip replaced


def test_paste_back_of_its_own_crop_is_nearly_lossless() -> None:
    yy, xx = np.mgrid[0:240, 0:320]
    frame = np.dstack([xx % 256, yy % 256, (xx + yy) % 256]).astype(np.uint8)
    pts = transform_points(MEAN_FACE_68 * 100, _similarity(0.0, 1.0, 100.0, 60.0))
    aligned = align_face(frame, pts, 128)
    out = paste_back(frame, aligned.crop, hull_mask(aligned.landmarks_crop, 128), aligned.matrix)
    assert np.abs(out.astype(int) - frame.astype(int)).mean() < 1.0


def test_masks_cover_the_right_regions() -> None:
    lm = template_points(128, "whole_face")
    full, whole = hull_mask(lm, 128, "full"), hull_mask(lm, 128, "whole_face")
    assert whole.sum() > full.sum() * 1.15  # forehead added
    assert whole[: int(lm[19, 1])].sum() > full[: int(lm[19, 1])].sum()
    eyes, mouth = eye_mask(lm, 128), mouth_mask(lm, 128)
    eye_c = lm[36:42].mean(0).astype(int)
    mouth_c = lm[48:60].mean(0).astype(int)
    assert eyes[eye_c[1], eye_c[0]] == 1 and mouth[mouth_c[1], mouth_c[0]] == 1
    assert eyes[mouth_c[1], mouth_c[0]] == 0 and (eyes * mouth).sum() == 0
    soft = feather(full, 4)
    assert soft.max() <= 1 and soft[(soft > 0) & (soft < 1)].size > 0
    assert not soft[full == 0].any()
