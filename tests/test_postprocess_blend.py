"""Blend modes, mask refinement, sharpening, degradation and the configured chain."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hydra.utils import instantiate

from faceswap.postprocess.blend import BLENDERS, blend
from faceswap.postprocess.degrade import match_degradation, noise_sigma, sharpness
from faceswap.postprocess.mask import combine_masks, erode_dilate, feather, refine_mask
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.postprocess.sharpen import scale_face, sharpen
from faceswap.utils.errors import ConfigError, FaceswapError

H, W = 96, 128


@pytest.fixture
def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:H, 0:W]
    background = np.stack([xx * 2 % 256, yy * 2 % 256, (xx + yy) % 256], -1).astype(np.uint8)
    face = np.clip(rng.normal(128, 30, (H, W, 3)), 0, 255).astype(np.uint8)
    face = cv2.GaussianBlur(face, (5, 5), 0)
    hard = np.zeros((H, W), np.float32)
    cv2.ellipse(hard, (W // 2, H // 2), (30, 24), 0, 0, 360, 1.0, -1)
    return face, background, feather(hard, 6)


@pytest.mark.parametrize("mode", ["alpha", "poisson", "laplacian"])
def test_blend_leaves_pixels_outside_the_mask_bit_identical(scene, mode: str) -> None:
    face, background, mask = scene
    out = blend(mode, face, background, mask)
    assert out.dtype == np.uint8 and out.shape == background.shape
    outside = mask <= 0
    assert outside.sum() > 0.5 * mask.size
    np.testing.assert_array_equal(out[outside], background[outside])
    inside = mask > 0.99
    face_lap, out_lap = cv2.Laplacian(face, cv2.CV_32F), cv2.Laplacian(out, cv2.CV_32F)
    assert np.corrcoef(face_lap[inside].ravel(), out_lap[inside].ravel())[0, 1] > 0.9  # the face's detail is in


def test_alpha_is_the_face_where_mask_is_one(scene) -> None:
    face, background, mask = scene
    out = blend("alpha", face, background, mask)
    np.testing.assert_array_equal(out[mask >= 1.0], face[mask >= 1.0])


def test_poisson_keeps_face_gradients_and_matches_the_boundary(scene) -> None:
    face, background, mask = scene
    out = blend("poisson", face, background, mask).astype(np.float32)
    core = cv2.erode((mask > 0.99).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    lap = lambda im: cv2.Laplacian(im.astype(np.float32), cv2.CV_32F)  # noqa: E731
    residual = lap(out)[core] - lap(face)[core]  # Poisson solves lap(out) = lap(face) inside the mask
    assert np.abs(residual).mean() < 0.2 * np.abs(lap(face)[core]).mean()
    # an offset face is shifted back toward the background's colour (the point of gradient-domain cloning)
    bright = np.clip(face.astype(int) + 80, 0, 255).astype(np.uint8)
    shifted = blend("poisson", bright, background, mask)
    assert abs(shifted[core].mean() - background[core].mean()) < abs(bright[core].mean() - background[core].mean())


def test_laplacian_is_close_to_the_face_in_the_core(scene) -> None:
    face, background, mask = scene
    out = blend("laplacian", face, background, mask)
    core = cv2.erode((mask > 0.99).astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    assert np.abs(out[core].astype(int) - face[core].astype(int)).mean() < 6


def test_blenders_registry_and_empty_mask(scene) -> None:
    face, background, _ = scene
    assert set(BLENDERS.names()) == {"alpha", "poisson", "laplacian"}
    empty = np.zeros((H, W), np.float32)
    for mode in BLENDERS.names():
        np.testing.assert_array_equal(blend(mode, face, background, empty), background)
    with pytest.raises(ConfigError):
        blend("overlay", face, background, empty)


def test_erode_dilate_and_feather() -> None:
    mask = np.zeros((64, 64), np.float32)
    mask[16:48, 16:48] = 1.0
    assert erode_dilate(mask, 3).sum() < mask.sum() < erode_dilate(mask, -3).sum()
    soft = feather(mask, 4)
    assert 0 < soft[32, 14] < 1 and soft[32, 32] == pytest.approx(1.0, abs=1e-3)
    full = feather(np.ones((64, 64), np.float32), 4)
    assert full[0].max() == 0 and full[:, -1].max() == 0  # crop border forced to zero


def test_refine_mask_sizes_are_relative_to_the_crop() -> None:
    def square(size: int) -> np.ndarray:
        m = np.zeros((size, size), np.float32)
        m[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 1
        return m

    small = refine_mask(square(64), erode=0.125, blur=0.0)
    large = refine_mask(square(256), erode=0.125, blur=0.0)
    assert small.sum() / 64**2 == pytest.approx(large.sum() / 256**2, rel=0.1)
    assert small.sum() < square(64).sum()
    soft = refine_mask(square(64), erode=0.0, blur=0.1)
    assert soft.min() == 0 and ((soft > 0) & (soft < 1)).any()


def test_combine_masks_modes() -> None:
    learned = np.zeros((8, 8), np.float32)
    learned[:, :5] = 1
    hull = np.zeros((8, 8), np.float32)
    hull[:, 3:] = 1
    assert combine_masks("intersection", learned, hull).sum() == 16
    assert combine_masks("union", learned, hull).sum() == 64
    np.testing.assert_array_equal(combine_masks("hull", None, hull), hull)
    with pytest.raises(FaceswapError, match="learned"):
        combine_masks("learned", None, hull)
    with pytest.raises(FaceswapError, match="unknown mask mode"):
        combine_masks("blob", learned, hull)


@pytest.mark.parametrize("mode", ["unsharp", "box"])
def test_sharpen_increases_laplacian_variance(scene, mode: str) -> None:
    face, _, _ = scene
    assert sharpness(sharpen(face, mode, amount=1.0, radius=1.5)) > 1.3 * sharpness(face)
    np.testing.assert_array_equal(sharpen(face, "none"), face)


def test_scale_face_shrinks_the_mask() -> None:
    mask = np.zeros((64, 64), np.float32)
    mask[8:56, 8:56] = 1
    img = np.zeros((64, 64, 3), np.uint8)
    _, small = scale_face(img, mask, 0.8)
    assert small.sum() == pytest.approx(mask.sum() * 0.64, rel=0.1)


def test_degradation_matches_a_soft_noisy_target() -> None:
    rng = np.random.default_rng(3)
    sharp = np.clip(rng.normal(128, 40, (64, 64, 3)), 0, 255).astype(np.uint8)
    sharp = cv2.resize(cv2.resize(sharp, (16, 16)), (64, 64), interpolation=cv2.INTER_NEAREST)  # hard edges, no noise
    target = cv2.GaussianBlur(sharp, (0, 0), 1.5).astype(np.float32) + rng.normal(0, 6, sharp.shape)
    target = np.clip(np.rint(target), 0, 255).astype(np.uint8)
    out = match_degradation(sharp, target)
    assert noise_sigma(sharp) < 1.0
    assert noise_sigma(out) == pytest.approx(noise_sigma(target), rel=0.35)
    assert sharpness(cv2.GaussianBlur(out, (0, 0), 1.0)) < sharpness(cv2.GaussianBlur(sharp, (0, 0), 1.0))


def test_postprocessor_from_config(compose_cfg, scene) -> None:
    cfg = compose_cfg("swap", ["postprocess=seamless"])
    proc = instantiate(cfg.postprocess)
    assert isinstance(proc, PostProcessor) and proc.blend == "poisson" and proc.color == "hist"
    face, background, mask = scene
    crop_face, crop_bg = face[:, :H], background[:, :H]
    out, soft = proc.process_crop(crop_face, crop_bg, (mask[:, :H] > 0.5).astype(np.float32))
    assert out.shape == crop_face.shape and soft.shape == (H, H) and soft.max() <= 1
    with pytest.raises(ConfigError):
        PostProcessor(color="sepia")
    with pytest.raises(ConfigError):
        PostProcessor(face_scale=3.0)
