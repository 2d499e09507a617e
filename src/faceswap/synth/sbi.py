"""Self-blended images (Shiohara & Yamasaki, CVPR 2022): a real face blended with a slightly
transformed copy of itself through a deformed, blurred landmark mask.

The result has every artefact of a face swap's blend (boundary, colour and sharpness mismatch)
and none of a generator, so a detector trained on it needs no fakes. Used by `generate` as the
training-free method `sbi` and by the `sbi` detector to make its own training fakes.
"""

from __future__ import annotations

import cv2
import numpy as np

BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)


def landmark_hull(landmarks: np.ndarray, size: int) -> np.ndarray:
    """Filled convex hull of the 68 landmarks (crop px) -> [S,S] float32 in {0,1}."""
    mask = np.zeros((size, size), np.uint8)
    hull = cv2.convexHull(np.round(landmarks).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(np.float32)


def deform_mask(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Elastic warp, random erode/dilate and a random Gaussian feather: [S,S] float -> [S,S] in [0,1]."""
    size = mask.shape[0]
    grid = 4
    coarse = rng.normal(0.0, size * 0.015, size=(2, grid, grid)).astype(np.float32)
    flow = [cv2.resize(c, (size, size), interpolation=cv2.INTER_CUBIC) for c in coarse]
    xx, yy = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    warped = cv2.remap(mask, xx + flow[0], yy + flow[1], cv2.INTER_LINEAR, borderValue=0)
    k = int(rng.integers(1, max(2, size // 24))) * 2 + 1
    kernel = np.ones((k, k), np.uint8)
    warped = cv2.erode(warped, kernel) if rng.random() < 0.5 else cv2.dilate(warped, kernel)
    blur = int(rng.integers(1, max(2, size // 12))) * 2 + 1
    feathered = cv2.GaussianBlur(warped, (blur, blur), 0)
    return np.clip(feathered, 0.0, 1.0)


def colour_jitter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random RGB shift, HSV shift and brightness/contrast: uint8 -> uint8."""
    x = image.astype(np.float32) + rng.uniform(-20, 20, size=3).astype(np.float32)
    x = np.clip(x, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv += np.array([rng.uniform(-5, 5), rng.uniform(-20, 20), rng.uniform(-20, 20)], np.float32)
    hsv[..., 0] %= 180
    x = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    alpha, beta = rng.uniform(0.85, 1.15), rng.uniform(-15, 15)
    return np.clip(x * alpha + beta, 0, 255).astype(np.uint8)


def frequency_jitter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Either a down-up resample (loses detail) or an unsharp mask (adds it)."""
    size = image.shape[0]
    if rng.random() < 0.5:
        small = max(8, int(size * rng.uniform(0.4, 0.8)))
        return cv2.resize(cv2.resize(image, (small, small), interpolation=cv2.INTER_AREA), (size, size))
    blurred = cv2.GaussianBlur(image, (0, 0), 1.0).astype(np.float32)
    amount = rng.uniform(0.5, 1.5)
    return np.clip(image.astype(np.float32) * (1 + amount) - blurred * amount, 0, 255).astype(np.uint8)


def geometric_jitter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Translate by up to 3 % and rescale by up to ±5 % about the centre."""
    size = image.shape[0]
    scale = rng.uniform(0.95, 1.05)
    tx, ty = rng.uniform(-0.03, 0.03, size=2) * size
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), 0.0, scale)
    matrix[:, 2] += (tx, ty)
    return cv2.warpAffine(image, matrix, (size, size), borderMode=cv2.BORDER_REFLECT)


def self_blend(image: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One self-blended image: ([S,S,3] uint8, blend mask [S,S] float32 in [0,1])."""
    size = image.shape[0]
    source, target = image.copy(), image.copy()
    if rng.random() < 0.5:
        source = frequency_jitter(colour_jitter(source, rng), rng)
    else:
        target = frequency_jitter(colour_jitter(target, rng), rng)
    source = geometric_jitter(source, rng)
    mask = deform_mask(landmark_hull(landmarks, size), rng) * float(rng.choice(BLEND_RATIOS))
    blended = mask[..., None] * source.astype(np.float32) + (1.0 - mask[..., None]) * target.astype(np.float32)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8), mask.astype(np.float32)


def self_blend_batch(
    crops: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Self-blend every crop [N,S,S,3] with its landmarks [N,68,2] -> (images, masks [N,S,S])."""
    pairs = [self_blend(c, lm, rng) for c, lm in zip(crops, landmarks, strict=True)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
