"""Training augmentation: DeepFaceLab-style random warp, albumentations jitter, colour transfer.

Every function takes an explicit `np.random.Generator` (or seed) so that a sample is a pure function
of its index: the same step after a resume sees the same pixels, whatever the worker count.
"""

from __future__ import annotations

from dataclasses import dataclass

import albumentations as A
import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    """Plain options (config group `augment`)."""

    random_warp: bool = True
    warp_strength: float = 1.0  # DFL's control-point jitter scale; 0 disables
    warp_grid: int = 5  # control points per side
    flip: float = 0.4  # probability of a horizontal flip
    rotate: float = 10.0  # degrees, uniform in [-rotate, rotate]
    scale: float = 0.05  # relative zoom jitter
    shift: float = 0.05  # relative translation jitter
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1
    hue: float = 0.02
    blur: float = 0.1  # probability of a Gaussian blur on the input only
    jpeg: float = 0.2  # probability of JPEG re-compression on the input only
    jpeg_quality: tuple[int, int] = (50, 95)
    ct_mode: str = "none"  # colour transfer toward the other identity: none|rct|lct|mkl|idt|sot|hist
    ct_prob: float = 0.5


def random_warp(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0, grid: int = 5) -> np.ndarray:
    """Smoothly distort an [H,W,C] image by jittering a coarse grid of control points (DFL `gen_warp_params`).

    The target stays un-warped, so the network learns to reconstruct a face, not to copy pixels.
    """
    if strength <= 0:
        return image
    size = image.shape[0]
    cell = size / (grid - 1)
    axis = np.linspace(0, size, grid, dtype=np.float32)
    map_x = np.broadcast_to(axis, (grid, grid)).copy()
    map_y = map_x.T.copy()
    jitter = rng.normal(size=(2, grid, grid)).astype(np.float32) * cell * 0.24 * strength
    jitter[:, [0, -1], :] = 0  # keep the border fixed so no black corners come in
    jitter[:, :, [0, -1]] = 0
    map_x += jitter[0]
    map_y += jitter[1]
    # interpolate the coarse grid up to full resolution
    full_x = cv2.resize(map_x, (size, size), interpolation=cv2.INTER_CUBIC)
    full_y = cv2.resize(map_y, (size, size), interpolation=cv2.INTER_CUBIC)
    return cv2.remap(image, full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def build_geometric(cfg: AugmentConfig) -> A.Compose:
    """Flip + small affine, applied identically to the image (input and target start from it) and the masks."""
    return A.Compose(
        [
            A.HorizontalFlip(p=cfg.flip),
            A.Affine(
                scale=(1 - cfg.scale, 1 + cfg.scale),
                translate_percent=(-cfg.shift, cfg.shift),
                rotate=(-cfg.rotate, cfg.rotate),
                border_mode=cv2.BORDER_REFLECT_101,
                p=1.0 if (cfg.scale or cfg.shift or cfg.rotate) else 0.0,
            ),
        ]
    )


def build_photometric(cfg: AugmentConfig) -> A.Compose:
    """Colour jitter applied before the warp, so input and target share it: lighting changes are learned, not undone."""
    jitter = cfg.brightness or cfg.contrast or cfg.saturation or cfg.hue
    return A.Compose([A.ColorJitter(cfg.brightness, cfg.contrast, cfg.saturation, cfg.hue, p=1.0 if jitter else 0.0)])


def build_degrade(cfg: AugmentConfig) -> A.Compose:
    """Blur and JPEG on the input only: the generator learns to restore, not to reproduce artefacts."""
    return A.Compose(
        [
            A.GaussianBlur(blur_limit=(3, 5), p=cfg.blur),
            A.ImageCompression(quality_range=cfg.jpeg_quality, p=cfg.jpeg),
        ]
    )


def color_transfer(image: np.ndarray, reference: np.ndarray, mode: str, mask: np.ndarray | None = None) -> np.ndarray:
    """Move `image`'s colour statistics toward `reference` (uint8 RGB) with the post-process registry."""
    if mode == "none":
        return image
    from faceswap.postprocess.color import transfer

    return transfer(mode, image, reference, mask)


class Augmenter:
    """Everything applied to one training sample; deterministic given a seed."""

    def __init__(self, cfg: AugmentConfig) -> None:
        self.cfg = cfg
        self.geometric = build_geometric(cfg)
        self.photometric = build_photometric(cfg)
        self.degrade = build_degrade(cfg)

    def __call__(
        self,
        image: np.ndarray,  # [R,R,3] uint8
        masks: list[np.ndarray],  # each [R,R] float32
        seed: int,
        reference: np.ndarray | None = None,  # [R,R,3] uint8, a face of the other identity
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """-> (input [R,R,3] uint8 warped + degraded, target [R,R,3] uint8, masks)."""
        rng = np.random.default_rng(seed)
        if reference is not None and self.cfg.ct_mode != "none" and rng.random() < self.cfg.ct_prob:
            image = color_transfer(image, reference, self.cfg.ct_mode, masks[0] if masks else None)
        for i, comp in enumerate((self.geometric, self.photometric)):
            comp.set_random_seed(int(rng.integers(2**31)) + i)
        # one warp for the image and one for all masks stacked [R,R,M] (each mask alone: same pixels, M calls)
        out = self.geometric(image=image, mask=np.stack(masks, axis=-1)) if masks else self.geometric(image=image)
        target = out["image"]
        masks = [np.ascontiguousarray(out["mask"][..., i]) for i in range(len(masks))]
        target = self.photometric(image=target)["image"]  # the input is warped from this same image
        warped = (
            random_warp(target, rng, self.cfg.warp_strength, self.cfg.warp_grid) if self.cfg.random_warp else target
        )
        self.degrade.set_random_seed(int(rng.integers(2**31)))
        warped = self.degrade(image=warped)["image"]
        return warped, target, masks
