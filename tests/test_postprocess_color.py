"""Each colour-transfer mode on inputs whose statistics are known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.postprocess.color import COLOR_TRANSFERS, transfer
from faceswap.utils.errors import ConfigError, FaceswapError

SIZE = 64


def _gaussian_image(mean: tuple[float, float, float], cov: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    px = rng.multivariate_normal(mean, cov, size=SIZE * SIZE)
    return np.clip(np.rint(px), 0, 255).astype(np.uint8).reshape(SIZE, SIZE, 3)


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source: bluish, low contrast, correlated channels. Target: reddish, higher contrast. Mask: a disc."""
    source = _gaussian_image((90, 110, 150), np.array([[80, 40, 10], [40, 90, 20], [10, 20, 60]]), 1)
    target = _gaussian_image((160, 110, 90), np.array([[300, 120, -40], [120, 250, 30], [-40, 30, 200]]), 2)
    mask = np.zeros((SIZE, SIZE), np.float32)
    cv2.circle(mask, (SIZE // 2, SIZE // 2), SIZE // 3, 1.0, -1)
    # outside the mask the target is pure green: it must not influence masked statistics
    target[mask == 0] = (0, 255, 0)
    return source, target, mask


def _masked(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return img.reshape(-1, 3)[mask.ravel() > 0.5].astype(np.float64)


def _sliced_w1(a: np.ndarray, b: np.ndarray, n_dirs: int = 32) -> float:
    rng = np.random.default_rng(7)
    dirs = rng.normal(size=(n_dirs, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    q = np.linspace(0, 1, 200)
    return float(np.mean([np.abs(np.quantile(a @ d, q) - np.quantile(b @ d, q)).mean() for d in dirs]))


def test_registry_lists_every_mode() -> None:
    assert set(COLOR_TRANSFERS.names()) == {"none", "rct", "lct", "mkl", "idt", "sot", "hist"}


def test_none_returns_source(pair) -> None:
    source, target, mask = pair
    np.testing.assert_array_equal(transfer("none", source, target, mask), source)


def test_rct_matches_masked_lab_mean_and_std(pair) -> None:
    source, target, mask = pair
    out = transfer("rct", source, target, mask)
    lab = lambda im: _masked(cv2.cvtColor(im.astype(np.float32) / 255, cv2.COLOR_RGB2LAB), mask)  # noqa: E731
    out_lab, tgt_lab = lab(out), lab(target)
    np.testing.assert_allclose(out_lab.mean(0), tgt_lab.mean(0), atol=1.5)
    np.testing.assert_allclose(out_lab.std(0), tgt_lab.std(0), rtol=0.08, atol=0.5)
    # and the source was far from it before
    assert np.abs(lab(source).mean(0) - tgt_lab.mean(0)).max() > 10


@pytest.mark.parametrize("mode", ["lct", "mkl"])
def test_linear_modes_match_mean_and_covariance(pair, mode: str) -> None:
    source, target, mask = pair
    out = _masked(transfer(mode, source, target, mask), mask)
    tgt = _masked(target, mask)
    np.testing.assert_allclose(out.mean(0), tgt.mean(0), atol=1.5)
    np.testing.assert_allclose(
        np.cov(out, rowvar=False), np.cov(tgt, rowvar=False), atol=0.1 * np.cov(tgt, rowvar=False).max()
    )


def test_mkl_is_the_minimal_displacement_map(pair) -> None:
    """MKL is the optimal-transport linear map: it moves pixels less than LCT for the same statistics."""
    source, target, mask = pair
    src = _masked(source, mask)
    moved = {
        m: np.linalg.norm(_masked(transfer(m, source, target, mask), mask) - src, axis=1).mean() for m in ("lct", "mkl")
    }
    assert moved["mkl"] <= moved["lct"] + 1e-6


def test_hist_matches_channel_quantiles(pair) -> None:
    source, target, mask = pair
    out, tgt = _masked(transfer("hist", source, target, mask), mask), _masked(target, mask)
    q = np.linspace(0.05, 0.95, 10)
    for c in range(3):
        np.testing.assert_allclose(np.quantile(out[:, c], q), np.quantile(tgt[:, c], q), atol=3)


@pytest.mark.parametrize("mode", ["idt", "sot"])
def test_iterative_modes_shrink_the_sliced_wasserstein_distance(pair, mode: str) -> None:
    source, target, mask = pair
    src, tgt = _masked(source, mask), _masked(target, mask)
    out = _masked(transfer(mode, source, target, mask), mask)
    before, after = _sliced_w1(src, tgt), _sliced_w1(out, tgt)
    assert after < 0.1 * before, (before, after)
    np.testing.assert_allclose(out.mean(0), tgt.mean(0), atol=2.5)
    np.testing.assert_allclose(out.std(0), tgt.std(0), rtol=0.1)


@pytest.mark.parametrize("mode", ["rct", "lct", "mkl", "idt", "sot", "hist"])
def test_modes_are_deterministic_uint8_and_ignore_unmasked_target(pair, mode: str) -> None:
    source, target, mask = pair
    out = transfer(mode, source, target, mask)
    assert out.dtype == np.uint8 and out.shape == source.shape
    np.testing.assert_array_equal(out, transfer(mode, source, target, mask))
    other = target.copy()
    other[mask == 0] = (255, 0, 255)
    np.testing.assert_array_equal(out, transfer(mode, source, other, mask))


def test_bad_inputs_raise_one_line_errors(pair) -> None:
    source, target, _ = pair
    with pytest.raises(ConfigError, match="unknown colour transfer mode"):
        transfer("magic", source, target)
    with pytest.raises(FaceswapError, match="differ in size"):
        transfer("rct", source, target[:32])
    with pytest.raises(FaceswapError, match="uint8"):
        transfer("rct", source.astype(np.float32), target)
