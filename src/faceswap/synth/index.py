"""The synthetic dataset manifest `index.json`: one record per crop, labels live only here.

Format (docs/synthetic-data.md): `{"format": "faceswap-synthetic", "version": 1, "crop_size",
"methods": {name: settings}, "protocol": {...}, "samples": [record, ...]}`. Paths in records are
relative to the folder of `index.json` and are checked with `safe_join` when read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.bench.samples import Samples
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json, safe_join

FORMAT = "faceswap-synthetic"
VERSION = 1
INDEX_NAME = "index.json"
REQUIRED = ("id", "file", "label", "method", "video_id", "frame_index", "split")


def index_path(root: str | os.PathLike[str]) -> Path:
    root = Path(root)
    return root if root.suffix == ".json" else root / INDEX_NAME


def write_index(root: str | os.PathLike[str], samples: list[dict[str, Any]], **meta: Any) -> Path:
    """Write `index.json` atomically; `meta` keys (methods, protocol, crop_size, ...) go top level."""
    ids = [s["id"] for s in samples]
    if len(ids) != len(set(ids)):
        raise ValueError("sample ids must be unique")
    doc = {"format": FORMAT, "version": VERSION, **meta, "samples": samples}
    return atomic_write_json(index_path(root), doc)


def read_index(root: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate `index.json` (a folder or the file itself)."""
    path = index_path(root)
    if not path.is_file():
        raise FaceswapError(
            f"no synthetic dataset index at {path}",
            "run `faceswap generate` first or point to its folder",
            param="dataset",
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FaceswapError(f"{path} is not valid JSON", "delete it and rerun `faceswap generate`") from exc
    if doc.get("format") != FORMAT or not isinstance(doc.get("samples"), list):
        raise FaceswapError(f"{path} is not a faceswap synthetic index", "point to a generate output", param="dataset")
    for n, rec in enumerate(doc["samples"]):
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise FaceswapError(f"{path}: sample {n} lacks {', '.join(missing)}", "regenerate the dataset")
        if rec["label"] not in (0, 1):
            raise FaceswapError(
                f"{path}: sample {rec['id']} has label {rec['label']!r}", "labels are 0 (real) / 1 (fake)"
            )
    return doc


def data_root(doc: dict[str, Any], root: str | os.PathLike[str]) -> Path:
    """Folder the record paths are relative to: `data_root` of an imported index, else the index's folder."""
    return Path(doc["data_root"]) if doc.get("data_root") else index_path(root).parent


def read_rgb(path: Path, size: int | None = None) -> np.ndarray:
    """Crop file -> [S,S,3] uint8 RGB (resized to `size` when given and different)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FaceswapError(f"cannot read crop {path}", "regenerate the dataset or remove the sample from index.json")
    image = np.ascontiguousarray(image[..., ::-1])
    if size and image.shape[:2] != (size, size):
        scale = size / max(image.shape[:2])
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return image


def load_samples(root: str | os.PathLike[str], records: Sequence[dict[str, Any]], size: int | None = None) -> Samples:
    """Read the crops of `records` (paths relative to `root`) into a `Samples` batch.

    Crops are resized to `size` (default: the first crop's side); landmarks are scaled alike.
    """
    root = Path(root)
    crops, landmarks = [], []
    for rec in records:
        path = safe_join(root, rec["file"])
        crop = read_rgb(path, None)
        size = size or crop.shape[0]
        scale = 1.0
        if crop.shape[:2] != (size, size):
            scale = size / max(crop.shape[:2])
            crop = read_rgb(path, size)
        crops.append(crop)
        lm = rec.get("landmarks")
        landmarks.append(np.asarray(lm, np.float32) * scale if lm else np.full((68, 2), np.nan, np.float32))
    media = [_media_path(root, r.get("media")) for r in records]
    return Samples(
        crops=np.stack(crops) if crops else np.zeros((0, size or 1, size or 1, 3), np.uint8),
        labels=np.array([r["label"] for r in records], np.int64),
        methods=np.array([r["method"] for r in records], dtype=object),
        video_ids=np.array([str(r["video_id"]) for r in records], dtype=object),
        frame_index=np.array([int(r["frame_index"]) for r in records], np.int64),
        ids=np.array([str(r["id"]) for r in records], dtype=object),
        landmarks=np.stack(landmarks) if landmarks else None,
        timestamps=np.array([float(r.get("timestamp") or 0.0) for r in records], np.float64),
        media=np.array(media, dtype=object),
        has_audio=np.array([bool(r.get("has_audio")) for r in records], bool),
        files=np.array([_media_path(root, r.get("published")) for r in records], dtype=object),
    )


def _media_path(root: Path, media: str | None) -> str | None:
    if not media:
        return None
    path = Path(media)
    return str(path if path.is_absolute() else root / path)


def select(
    records: Iterable[dict[str, Any]], split: str | None = None, methods: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Records of one split and (optionally) only reals plus the given fake methods."""
    wanted = set(methods) if methods is not None else None
    return [
        r
        for r in records
        if (split is None or r["split"] == split) and (wanted is None or r["label"] == 0 or r["method"] in wanted)
    ]
