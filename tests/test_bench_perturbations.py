"""Perturbations change the pixels as specified and keep shape and dtype."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.bench.perturbations import DEFAULT_LEVELS, PERTURBATIONS, perturb
from faceswap.utils.errors import ConfigError


@pytest.fixture(scope="module")
def crops() -> np.ndarray:
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), (64, 64), interpolation=cv2.INTER_CUBIC)
    texture = rng.integers(-20, 21, (6, 64, 64, 3))
    return np.clip(base[None].astype(int) + texture, 0, 255).astype(np.uint8)  # [6,64,64,3]


def _err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


def test_every_default_perturbation_is_registered_and_keeps_shape(crops: np.ndarray) -> None:
    assert set(DEFAULT_LEVELS) <= set(PERTURBATIONS.names())
    for name, levels in DEFAULT_LEVELS.items():
        out = perturb(name, crops, levels[-1], np.array(["v"] * 6, dtype=object), seed=1)
        assert out.shape == crops.shape and out.dtype == np.uint8
        assert _err(out, crops) > 0.5, name


@pytest.mark.parametrize("name", ["jpeg", "h264", "blur", "downup"])
def test_stronger_level_hurts_more(name: str, crops: np.ndarray) -> None:
    groups = np.array(["v1", "v1", "v1", "v2", "v2", "v2"], dtype=object)
    errors = [_err(perturb(name, crops, lvl, groups), crops) for lvl in DEFAULT_LEVELS[name]]
    assert errors == sorted(errors) and errors[-1] > errors[0] * 1.2, errors


def test_noise_has_the_requested_variance() -> None:
    grey = np.full((4, 64, 64, 3), 128, np.uint8)
    out = perturb("noise", grey, 0.01, seed=0)
    std = (out.astype(float) - 128).std() / 255
    assert std == pytest.approx(0.1, rel=0.05)


def test_saturation_zero_is_grey_and_contrast_scales_spread(crops: np.ndarray) -> None:
    grey = perturb("saturation", crops, 0.0).astype(int)
    assert np.abs(grey[..., 0] - grey[..., 1]).max() <= 2 and np.abs(grey[..., 1] - grey[..., 2]).max() <= 2
    flat = perturb("contrast", crops, 0.5).astype(float)
    src = crops.astype(float)
    assert flat.std(axis=(1, 2, 3)) == pytest.approx(0.5 * src.std(axis=(1, 2, 3)), rel=0.02)
    assert flat.mean(axis=(1, 2, 3)) == pytest.approx(src.mean(axis=(1, 2, 3)), abs=1.0)


def test_occlusion_paints_grey_blocks_of_side_s_over_32() -> None:
    black = np.zeros((3, 64, 64, 3), np.uint8)
    out = perturb("occlusion", black, 16, seed=0)
    painted = (out[..., 0] == 128).sum(axis=(1, 2))
    assert ((painted >= 4) & (painted <= 16 * 4)).all()  # side 2 px: at least one block, at most 16
    assert set(np.unique(out)) == {0, 128}


def test_blur_keeps_a_flat_image_and_h264_keeps_frame_count() -> None:
    flat = np.full((5, 32, 32, 3), 77, np.uint8)
    assert np.array_equal(perturb("blur", flat, 21), flat)
    odd = np.random.default_rng(0).integers(0, 256, (5, 33, 31, 3), dtype=np.uint8)
    assert perturb("h264", odd, 30, np.array(list("aabbb"), dtype=object)).shape == odd.shape


def test_unknown_perturbation_is_a_config_error(crops: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="unknown perturbation"):
        perturb("sepia", crops, 1)
