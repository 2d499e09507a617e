"""Shape matching: the piecewise-affine warp moves points where asked, and on a real face it brings a
distorted face's landmarks back onto the source's."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.data.sample_clip import frame_photo, load_sample_photo
from faceswap.eval.faces import FaceMeter
from faceswap.face.align import align_face
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.postprocess.shape import crop_landmarks, match_shape, piecewise_affine_warp
from faceswap.utils.errors import ConfigError

SIDE = 96


def _points() -> np.ndarray:
    return np.array([[30, 30], [66, 30], [48, 50], [35, 70], [61, 70]], np.float64)  # [5,2]


def test_warp_with_unmoved_points_is_the_identity() -> None:
    image = np.random.default_rng(0).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    out = piecewise_affine_warp(image, _points(), _points())
    assert np.abs(out.astype(int) - image.astype(int)).max() <= 1


def test_warp_moves_a_feature_to_its_new_point() -> None:
    image = np.zeros((SIDE, SIDE), np.uint8)
    image[48:53, 46:51] = 255  # a blob at the third point (48, 50)
    dst = _points().copy()
    dst[2] += (6, -5)
    out = piecewise_affine_warp(image, _points(), dst)
    ys, xs = np.nonzero(out > 127)
    assert abs(xs.mean() - 54) < 1.0 and abs(ys.mean() - 45) < 1.0


@pytest.fixture(scope="module")
def aligned_astronaut():
    frame = frame_photo(load_sample_photo("astronaut"), 384)[0]
    found = FaceMeter().measure(frame)
    assert found is not None
    return align_face(frame, found.landmarks, 128, "full")


def test_match_shape_brings_a_distorted_face_back_onto_the_source(aligned_astronaut) -> None:
    source = aligned_astronaut.landmarks_crop.astype(np.float64)  # [68,2]
    moved = source.copy()
    moved[48:68] += (0, 6)  # mouth 6 px lower
    moved[36:48] += (3, 0)  # eyes 3 px to the right
    distorted = piecewise_affine_warp(aligned_astronaut.crop, source, moved)
    before = np.abs(crop_landmarks(distorted, source) - source)[36:68].mean()
    fixed = match_shape(distorted, source.astype(np.float32), strength=1.0)
    after = np.abs(crop_landmarks(fixed, source) - source)[36:68].mean()
    assert before > 2.0 and after < 0.5 * before, (before, after)
    half = match_shape(distorted, source.astype(np.float32), strength=0.0)
    assert half is distorted  # strength 0 is a no-op


def test_placement_undoes_a_pitch_like_offset_and_keeps_the_wider_mouth(aligned_astronaut) -> None:
    # the landmarks dlib finds on the undistorted crop are the reference (its own bias cancels)
    source = crop_landmarks(aligned_astronaut.crop, aligned_astronaut.landmarks_crop).astype(np.float64)
    moved = source.copy()
    moved[17:68] += (0, -3)  # the inner face 3 px higher (a pitch-like offset)
    moved[48] += (-4, 0)  # and a mouth 8 px wider (an identity-like change): dlib reads whole pixels of its
    moved[54] += (4, 0)  # own scale (0.67 px here), and 6 px read as 0.67 on an AVX2 EPYC (cv2/dlib rounding)
    distorted = piecewise_affine_warp(aligned_astronaut.crop, source, moved)

    def offset_and_mouth(face: np.ndarray) -> tuple[float, float]:
        found = crop_landmarks(face, source)
        width = np.linalg.norm(found[54] - found[48]) - np.linalg.norm(source[54] - source[48])
        return float((found[17:68] - source[17:68]).mean(0)[1]), float(width)

    before, wide = offset_and_mouth(distorted)
    assert before < -1.5 and wide > 1.5, (before, wide)
    placed = match_shape(distorted, source.astype(np.float32), strength=0.0, points="inner", placement=1.0)
    after, wide_placed = offset_and_mouth(placed)
    assert abs(after) < 0.6 * abs(before), (before, after)  # the block moved back
    assert wide_placed > 1.5, wide_placed  # the wider mouth stays
    matched = match_shape(distorted, source.astype(np.float32), strength=1.0, points="inner")
    assert offset_and_mouth(matched)[1] < 0.5 * wide_placed  # full shape matching takes it away


def test_measuring_a_soft_face_on_a_sharpened_copy_finds_its_landmarks(aligned_astronaut) -> None:
    import cv2

    crop = cv2.resize(aligned_astronaut.crop, (64, 64), interpolation=cv2.INTER_AREA)  # a generator-sized face
    hint = aligned_astronaut.landmarks_crop * 0.5
    truth = crop_landmarks(crop, hint)
    soft = cv2.GaussianBlur(crop, (0, 0), 1.2)
    plain = np.abs(crop_landmarks(soft, hint) - truth).mean()
    sharpened = np.abs(crop_landmarks(soft, hint, sharpen_amount=2.0) - truth).mean()
    assert sharpened < 0.8 * plain, (plain, sharpened)


def test_vertical_only_matching_moves_features_up_and_down_only(monkeypatch) -> None:
    import faceswap.postprocess.shape as shape

    rng = np.random.default_rng(1)
    source = np.column_stack([rng.uniform(30, 66, 68), rng.uniform(25, 75, 68)])  # [68,2] crop px
    found = source + np.array([4.0, 3.0])  # the generated face's features sit 4 px right and 3 px low
    monkeypatch.setattr(shape, "crop_landmarks", lambda *args, **kwargs: found.copy())
    image = np.zeros((SIDE, SIDE), np.uint8)
    x, y = np.round(found[30]).astype(int)  # a blob on the nose tip
    image[y - 2 : y + 3, x - 2 : x + 3] = 255
    out = shape.match_shape(image, source, strength=1.0, points="all", axes="y")
    ys, xs = np.nonzero(out > 127)
    assert abs(xs.mean() - found[30, 0]) < 1.0  # not moved sideways
    assert abs(ys.mean() - source[30, 1]) < 1.0  # moved up onto the source's height


def test_shape_settings_are_checked() -> None:
    with pytest.raises(ConfigError):
        PostProcessor(shape_match=1.5)
    with pytest.raises(ConfigError):
        PostProcessor(shape_points="ears")
    with pytest.raises(ConfigError):
        PostProcessor(shape_placement=-0.1)
    with pytest.raises(ConfigError):
        PostProcessor(shape_axes="z")
