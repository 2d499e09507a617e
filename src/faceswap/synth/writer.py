"""`DatasetWriter`: crops and masks on disk (plain PNG, no metadata), labels only in `index.json`."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.synth.index import write_index
from faceswap.synth.splits import assign_splits, check_no_leakage
from faceswap.utils.io import atomic_path, ensure_writable_dir


def safe_name(text: str) -> str:
    """A file-name-safe version of an id (letters, digits, '-', '_', '.')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._") or "x"


def write_png(path: Path, rgb_or_gray: np.ndarray) -> None:
    """Write a PNG atomically; OpenCV writes no text/EXIF chunks, so crops carry no metadata."""
    image = rgb_or_gray[..., ::-1] if rgb_or_gray.ndim == 3 else rgb_or_gray
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(image)):
            raise OSError(f"cannot write {path}")


class DatasetWriter:
    """Collects samples under `root` (`real/`, `fake/<method>/`, `masks/<method>/`) and writes the index."""

    def __init__(self, root: str | os.PathLike[str], crop_size: int) -> None:
        self.root = ensure_writable_dir(root)
        self.crop_size = crop_size
        self.records: list[dict[str, Any]] = []

    def add(
        self,
        image: np.ndarray,
        *,
        label: int,
        method: str,
        video_id: str,
        frame_index: int,
        mask: np.ndarray | None = None,
        landmarks: np.ndarray | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Write one crop [S,S,3] uint8 (+ its blend mask [S,S] float in [0,1]) and record its labels."""
        if image.shape != (self.crop_size, self.crop_size, 3) or image.dtype != np.uint8:
            raise ValueError(
                f"crop must be [{self.crop_size},{self.crop_size},3] uint8, got {image.shape} {image.dtype}"
            )
        stem = f"{safe_name(video_id)}/{int(frame_index):06d}.png"
        rel = f"real/{stem}" if label == 0 else f"fake/{safe_name(method)}/{stem}"
        write_png(self.root / rel, image)
        mask_rel = None
        if mask is not None:
            mask_rel = f"masks/{safe_name(method)}/{stem}"
            write_png(self.root / mask_rel, (np.clip(mask, 0, 1) * 255 + 0.5).astype(np.uint8))
        record = {
            "id": f"{'real' if label == 0 else method}/{video_id}/{int(frame_index)}",
            "file": rel,
            "label": int(label),
            "method": "real" if label == 0 else method,
            "video_id": str(video_id),
            "frame_index": int(frame_index),
            "mask": mask_rel,
            "landmarks": None if landmarks is None else np.round(np.asarray(landmarks, np.float64), 2).tolist(),
            "crop_size": self.crop_size,
            **{"split": None, **fields},
        }
        self.records.append(record)
        return record

    def finish(
        self, fractions: tuple[float, ...] = (0.7, 0.15, 0.15), seed: int = 0, keep_splits: bool = False, **meta: Any
    ) -> Path:
        """Assign leakage-free splits (or keep given ones) and write `index.json`; returns its path."""
        units = {"given": True} if keep_splits else assign_splits(self.records, fractions, seed)
        check_no_leakage(self.records)
        counts = {s: sum(r["split"] == s for r in self.records) for s in ("train", "val", "test")}
        meta.setdefault("protocol", {})
        meta["protocol"] = {**meta["protocol"], "split_units": units, "split_samples": counts, "split_seed": seed}
        return write_index(self.root, self.records, crop_size=self.crop_size, **meta)
