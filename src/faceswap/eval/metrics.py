"""Swap-quality metrics as pure functions on arrays (registered by name, like StyleGAN2-ADA's metric_main)."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean SSIM of two uint8 RGB images [H,W,3]; with `mask` [H,W], the mean of the SSIM map inside it
    (the face region a swap pastes, without the crop's background, which masked training leaves free)."""
    if mask is None:
        return float(structural_similarity(a, b, channel_axis=-1, data_range=255))
    _, smap = structural_similarity(a, b, channel_axis=-1, data_range=255, full=True)  # [H,W,3]
    inside = mask > 0.5
    return float(smap[inside].mean()) if inside.any() else float("nan")


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of two uint8 images (inside `mask` [H,W] if given); identical images give 100 dB."""
    if mask is not None:
        inside = mask > 0.5
        mse = float(np.mean((a[inside].astype(np.float64) - b[inside].astype(np.float64)) ** 2))
        return 100.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))
    if np.array_equal(a, b):
        return 100.0
    return float(peak_signal_noise_ratio(a, b, data_range=255))


def cosine_distance(x: np.ndarray, y: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    return float(1.0 - x @ y / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-12))


def euclidean_distance(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(x, np.float64) - np.asarray(y, np.float64)))


def retrieval_accuracy(descriptors: np.ndarray, gallery: dict[str, np.ndarray], target: str) -> float:
    """Fraction of descriptors [N,128] whose nearest gallery identity (by mean descriptor) is `target`."""
    if len(descriptors) == 0:
        return float("nan")
    names = list(gallery)
    centres = np.stack([gallery[n] for n in names])  # [K,128]
    dists = np.linalg.norm(descriptors[:, None, :] - centres[None, :, :], axis=-1)  # [N,K]
    nearest = np.asarray(names)[dists.argmin(axis=1)]
    return float(np.mean(nearest == target))


def remove_similarity(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Map `points` [68,2] onto `reference` [68,2] with the best similarity transform (Procrustes)."""
    p = points - points.mean(0)
    r = reference - reference.mean(0)
    u, s, vt = np.linalg.svd(r.T @ p)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, d])
    rot = u @ fix @ vt
    scale = (s * np.diag(fix)).sum() / (p**2).sum()
    return (scale * (rot @ p.T)).T + reference.mean(0)


def expression_error(source: np.ndarray, swapped: np.ndarray) -> float:
    """Landmark distance after removing pose/scale, normalised by the inter-ocular distance of the source."""
    aligned = remove_similarity(swapped.astype(np.float64), source.astype(np.float64))
    iod = np.linalg.norm(source[36:42].mean(0) - source[42:48].mean(0)) + 1e-9
    return float(np.linalg.norm(aligned - source, axis=1).mean() / iod)


def pose_error(source: tuple[float, float, float], swapped: tuple[float, float, float]) -> float:
    """Mean absolute yaw/pitch/roll difference in degrees (angles wrapped to [-180, 180))."""
    diff = (np.asarray(swapped, np.float64) - np.asarray(source, np.float64) + 180.0) % 360.0 - 180.0
    return float(np.abs(diff).mean())


def temporal_change(frames: list[np.ndarray], masks: list[np.ndarray]) -> float:
    """Mean absolute frame-to-frame change (0–255 scale) inside the masks; the flicker of a clip."""
    if len(frames) < 2:
        return float("nan")
    changes = []
    for prev, cur, m_prev, m_cur in zip(frames[:-1], frames[1:], masks[:-1], masks[1:], strict=True):
        region = (m_prev > 0.5) & (m_cur > 0.5)
        if region.any():
            diff = np.abs(cur.astype(np.float32) - prev.astype(np.float32)).mean(axis=-1)
            changes.append(float(diff[region].mean()))
    return float(np.mean(changes)) if changes else float("nan")
