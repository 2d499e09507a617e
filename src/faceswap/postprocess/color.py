"""Colour transfer: make the generated face's colour statistics match the face it replaces.

Every mode is a pure function `fn(source, target, mask) -> rgb` on uint8 `[H,W,3]` images of the same
size (source = generated face, target = original face). Statistics are taken over `mask > 0.5` when a
mask is given, so background pixels of the aligned crop do not bias them; the mapping is applied to
every source pixel. Modes follow Reinhard et al. 2001 (rct), Pitié et al. 2007 (mkl, idt), Rabin et
al. 2011 (sot) and DeepFaceLab's `lct`.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from faceswap.utils.errors import FaceswapError
from faceswap.utils.registry import Registry

ColorFn = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], np.ndarray]
COLOR_TRANSFERS: Registry[ColorFn] = Registry("colour transfer mode")

_EPS = 1e-6
_MIN_PIXELS = 16


def transfer(mode: str, source_rgb: np.ndarray, target_rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Apply colour-transfer `mode` to `source_rgb` so it matches `target_rgb` (uint8 in/out)."""
    for name, img in (("source", source_rgb), ("target", target_rgb)):
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise FaceswapError(
                f"colour transfer needs RGB uint8 [H,W,3] images, got {name} {img.dtype} {img.shape}",
                "convert with faceswap.media.image.read_image",
            )
    if source_rgb.shape != target_rgb.shape:
        raise FaceswapError(
            f"colour transfer images differ in size: {source_rgb.shape} vs {target_rgb.shape}",
            "pass the generated and the original aligned crop at the same size",
        )
    return COLOR_TRANSFERS.get(mode)(source_rgb, target_rgb, mask)


def _select(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean [H,W] of the pixels whose statistics count (all pixels if the mask is nearly empty)."""
    if mask is None:
        return np.ones(shape[:2], bool)
    sel = np.asarray(mask).reshape(shape[:2]) > 0.5
    return sel if sel.sum() >= _MIN_PIXELS else np.ones(shape[:2], bool)


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Symmetric (inverse) square root of a covariance matrix through its eigen-decomposition."""
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, _EPS)
    power = -0.5 if inverse else 0.5
    return (vecs * vals**power) @ vecs.T


@COLOR_TRANSFERS.register("none")
def none_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    return source.copy()


@COLOR_TRANSFERS.register("rct")
def reinhard_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Match the per-channel mean and std in CIE Lab (Reinhard)."""
    src = cv2.cvtColor(source.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)  # L [0,100], a/b ~[-127,127]
    tgt = cv2.cvtColor(target.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    s_sel, t_sel = _select(mask, source.shape), _select(mask, target.shape)
    s_mu, s_sd = src[s_sel].mean(0), src[s_sel].std(0)
    t_mu, t_sd = tgt[t_sel].mean(0), tgt[t_sel].std(0)
    out = (src - s_mu) * (t_sd / np.maximum(s_sd, _EPS)) + t_mu
    out[..., 0] = np.clip(out[..., 0], 0, 100)
    rgb = cv2.cvtColor(out.astype(np.float32), cv2.COLOR_LAB2RGB)
    return _to_uint8(rgb * 255.0)


def _affine_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None, matrix_fn) -> np.ndarray:
    """x' = A (x - mu_s) + mu_t in RGB, with A from the two covariances."""
    src = source.reshape(-1, 3).astype(np.float64)
    tgt = target.reshape(-1, 3).astype(np.float64)
    s_px = src[_select(mask, source.shape).ravel()]
    t_px = tgt[_select(mask, target.shape).ravel()]
    s_mu, t_mu = s_px.mean(0), t_px.mean(0)
    eye = np.eye(3) * 1e-3
    s_cov = np.cov(s_px, rowvar=False) + eye
    t_cov = np.cov(t_px, rowvar=False) + eye
    a = matrix_fn(s_cov, t_cov)  # [3,3]
    out = (src - s_mu) @ a.T + t_mu
    return _to_uint8(out.reshape(source.shape))


@COLOR_TRANSFERS.register("lct")
def linear_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Linear colour transfer: A = C_t^1/2 C_s^-1/2 (covariance matching through symmetric roots)."""
    return _affine_transfer(source, target, mask, lambda cs, ct: _sqrtm(ct) @ _sqrtm(cs, inverse=True))


@COLOR_TRANSFERS.register("mkl")
def monge_kantorovich_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Monge–Kantorovich linear map: the optimal-transport map between the two Gaussians (Pitié 2007)."""

    def mkl_matrix(cs: np.ndarray, ct: np.ndarray) -> np.ndarray:
        cs_half, cs_inv_half = _sqrtm(cs), _sqrtm(cs, inverse=True)
        return cs_inv_half @ _sqrtm(cs_half @ ct @ cs_half) @ cs_inv_half

    return _affine_transfer(source, target, mask, mkl_matrix)


@COLOR_TRANSFERS.register("hist")
def histogram_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-channel histogram matching through 256-bin cumulative histograms."""
    s_sel, t_sel = _select(mask, source.shape), _select(mask, target.shape)
    out = np.empty_like(source)
    for c in range(3):
        s_cdf = np.cumsum(np.bincount(source[..., c][s_sel], minlength=256)).astype(np.float64)
        t_cdf = np.cumsum(np.bincount(target[..., c][t_sel], minlength=256)).astype(np.float64)
        s_cdf, t_cdf = s_cdf / s_cdf[-1], t_cdf / t_cdf[-1]
        lut = np.interp(s_cdf, t_cdf, np.arange(256))  # source level -> target level at the same quantile
        out[..., c] = _to_uint8(lut)[source[..., c]]
    return out


def _match_1d(values: np.ndarray, reference: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
    """Map `values` so the distribution of `sample` (default `values`) matches `reference` (quantile map)."""
    sample = values if sample is None else sample
    s_sorted = np.sort(sample)
    r_sorted = np.sort(reference)
    s_q = np.linspace(0.0, 1.0, s_sorted.size)
    r_q = np.linspace(0.0, 1.0, r_sorted.size)
    quantile = np.interp(values, s_sorted, s_q)
    return np.interp(quantile, r_q, r_sorted)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def _iterative_transfer(
    source: np.ndarray, target: np.ndarray, mask: np.ndarray | None, iterations: int, step: float, seed: int
) -> np.ndarray:
    """Shared loop of idt/sot: rotate, match the 1-D marginals of every axis, rotate back."""
    rng = np.random.default_rng(seed)
    x = source.reshape(-1, 3).astype(np.float64)
    s_idx = _select(mask, source.shape).ravel()
    t_px = target.reshape(-1, 3).astype(np.float64)[_select(mask, target.shape).ravel()]
    for _ in range(iterations):
        rot = _random_rotation(rng)  # [3,3], rows are axes
        xp, tp = x @ rot.T, t_px @ rot.T
        moved = np.stack([_match_1d(xp[:, k], tp[:, k], xp[s_idx, k]) for k in range(3)], 1)
        x = x + step * (moved - xp) @ rot
    return _to_uint8(x.reshape(source.shape))


@COLOR_TRANSFERS.register("idt")
def iterative_distribution_transfer(
    source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Iterative distribution transfer (Pitié 2005): full 1-D matches along random rotations."""
    return _iterative_transfer(source, target, mask, iterations=10, step=1.0, seed=0)


@COLOR_TRANSFERS.register("sot")
def sliced_ot_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Sliced optimal transport (Rabin 2011): damped gradient steps on the sliced Wasserstein distance."""
    return _iterative_transfer(source, target, mask, iterations=20, step=0.6, seed=0)
