"""Preview grid (A, A→A, A→B, B, B→B, B→A per row) from the EMA generator, and the timelapse."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch

from faceswap.models.generator import SwapGenerator
from faceswap.utils.io import atomic_path

COLUMNS = ("A", "A→A", "A→B", "B", "B→B", "B→A")


@torch.no_grad()
def preview_grid(generator: SwapGenerator, faces_a: torch.Tensor, faces_b: torch.Tensor) -> np.ndarray:
    """faces [n,3,R,R] in [0,1] -> RGB uint8 grid [n*R, 6*R, 3]; rows are faces, columns as `COLUMNS`."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    a, b = faces_a.to(device), faces_b.to(device)
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    columns = [a, generator(a, 0)[0], generator(a, 1)[0], b, generator(b, 1)[0], generator(b, 0)[0]]
    generator.train(was_training)
    rows = torch.cat(columns, dim=3)  # [n,3,R,6R]
    grid = torch.cat(list(rows), dim=1)  # [3,nR,6R]
    return (grid.clamp(0, 1).permute(1, 2, 0).float().cpu().numpy() * 255 + 0.5).astype(np.uint8)


def write_png(path: str | os.PathLike[str], rgb: np.ndarray) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {path}")
    return Path(path)


def write_timelapse(frames: list[Path], path: str | os.PathLike[str], fps: float = 4.0) -> Path | None:
    """Stack the saved previews (same fixed faces at every step) into an mp4; None when there are too few."""
    frames = sorted(frames)
    if len(frames) < 2:
        return None
    from faceswap.media.video import VideoWriter

    first = cv2.imread(str(frames[0]))
    h, w = (first.shape[0] // 2) * 2, (first.shape[1] // 2) * 2  # even sizes for yuv420p
    with VideoWriter(path, fps=fps) as writer:
        for frame in frames:
            bgr = cv2.imread(str(frame))
            if bgr is not None and bgr.shape[:2] == first.shape[:2]:
                writer.write(cv2.cvtColor(bgr[:h, :w], cv2.COLOR_BGR2RGB))
    return Path(path)
