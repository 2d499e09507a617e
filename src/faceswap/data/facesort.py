"""Order or subsample a face set (DeepFaceLab-style sort): by blur, yaw, pitch, histogram similarity,
identity distance, or the N most varied faces over yaw/pitch bins.

Non-destructive: the preprocess order is kept in `manifest.unsorted.jsonl` and every sort starts from it,
so sorting twice gives the same result and `by=none` restores the original.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.data.faceset import MANIFEST, read_faceset, write_manifest
from faceswap.media.image import read_image
from faceswap.utils.errors import ConfigError
from faceswap.utils.io import read_jsonl, write_jsonl

UNSORTED = "manifest.unsorted.jsonl"
Rows = list[dict[str, Any]]


def _by_key(key: Callable[[dict[str, Any]], float]) -> Callable[[Rows, Path], Rows]:
    return lambda rows, _: sorted(rows, key=key)


def histogram(path: Path) -> np.ndarray:
    """Normalised 3 x 32-bin RGB histogram of a crop."""
    image = read_image(path)
    hists = [cv2.calcHist([image], [c], None, [32], [0, 256]).ravel() for c in range(3)]
    hist = np.concatenate(hists).astype(np.float32)
    return hist / max(float(hist.sum()), 1.0)


def sort_by_histogram(rows: Rows, faces_dir: Path) -> Rows:
    """Greedy chain: each next face is the remaining one whose histogram is closest (Bhattacharyya)."""
    if len(rows) < 3:
        return rows
    hists = [histogram(r["path"]) for r in rows]
    left = list(range(1, len(rows)))
    order = [0]
    while left:
        last = hists[order[-1]]
        dists = [cv2.compareHist(last, hists[i], cv2.HISTCMP_BHATTACHARYYA) for i in left]
        order.append(left.pop(int(np.argmin(dists))))
    return [rows[i] for i in order]


def most_varied(rows: Rows, keep: int, bins: int = 10) -> Rows:
    """Spread `keep` faces over a yaw x pitch grid: sharpest first within each cell, cells taken in turn."""
    if keep >= len(rows):
        return rows
    poses = np.array([r.get("pose") or [0.0, 0.0, 0.0] for r in rows], np.float64)
    cells: dict[tuple[int, int], list[int]] = {}
    edges = [np.linspace(poses[:, k].min(), poses[:, k].max() + 1e-6, bins + 1) for k in (0, 1)]
    for i, (yaw, pitch, _) in enumerate(poses):
        cell = (int(np.searchsorted(edges[0], yaw, "right")), int(np.searchsorted(edges[1], pitch, "right")))
        cells.setdefault(cell, []).append(i)
    queues = [sorted(ids, key=lambda i: -float(rows[i].get("blur") or 0.0)) for _, ids in sorted(cells.items())]
    picked: list[int] = []
    while len(picked) < keep:
        live = [q for q in queues if q]
        need = keep - len(picked)
        if need < len(live):  # last pass: cells evenly spaced over the grid, not the first few
            live = [live[round(i)] for i in np.linspace(0, len(live) - 1, need)]
        for queue in live:
            picked.append(queue.pop(0))
    return [rows[i] for i in sorted(picked)]


SORTS: dict[str, Callable[[Rows, Path], Rows]] = {
    "none": lambda rows, _: rows,
    "blur": _by_key(lambda r: -float(r.get("blur") or 0.0)),  # sharpest first
    "yaw": _by_key(lambda r: float((r.get("pose") or [0, 0, 0])[0])),
    "pitch": _by_key(lambda r: float((r.get("pose") or [0, 0, 0])[1])),
    "identity": _by_key(lambda r: float(r["identity_distance"]) if r.get("identity_distance") is not None else 9.9),
    "hist": sort_by_histogram,
    "varied": lambda rows, _: rows,  # selection happens in sort_faceset (needs `keep`)
}


def sort_faceset(faces_dir: Path, by: str, keep: int | None = None, reverse: bool = False, bins: int = 10) -> int:
    """Rewrite `faces_dir/manifest.jsonl` sorted by `by` (and cut to `keep` rows); returns the row count."""
    if by not in SORTS:
        raise ConfigError(f"unknown sort order '{by}'", f"choose one of: {', '.join(SORTS)}", param="by")
    if keep is not None and int(keep) < 1:
        raise ConfigError(f"keep={keep} must be >= 1", "use null to keep every face", param="keep")
    faces_dir = Path(faces_dir)
    rows = read_faceset(faces_dir)  # validates files and paths
    unsorted = faces_dir / UNSORTED
    if unsorted.is_file():
        original = {r["file"]: r for r in rows}
        rows = [original.get(r["file"], r) for r in read_jsonl(unsorted)]
        rows = read_faceset_rows(faces_dir, rows)
    else:
        write_jsonl(unsorted, [{k: v for k, v in r.items() if k not in ("path", "mask_path")} for r in rows])
    if by == "varied":
        ordered = most_varied(rows, int(keep or len(rows)), bins)
    else:
        ordered = SORTS[by](rows, faces_dir)
        if reverse:
            ordered = ordered[::-1]
        if keep is not None:
            ordered = ordered[: int(keep)]
    write_manifest(faces_dir, ordered)
    return len(ordered)


def read_faceset_rows(faces_dir: Path, rows: Rows) -> Rows:
    """Add absolute `path`/`mask_path` to rows read from the unsorted copy."""
    from faceswap.utils.io import safe_join

    for row in rows:
        row["path"], row["mask_path"] = safe_join(faces_dir, row["file"]), safe_join(faces_dir, row["mask"])
    return rows


__all__ = ["MANIFEST", "SORTS", "UNSORTED", "most_varied", "sort_faceset"]
