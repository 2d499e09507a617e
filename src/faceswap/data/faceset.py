"""Face-set on disk: aligned crops + masks + `manifest.jsonl` (format in docs/faceset.md), and the
journal that makes preprocessing resumable and idempotent.

Readers only ever see `manifest.jsonl`, which is written atomically when a run finishes; while a run is
in progress each processed frame is appended to `.journal.jsonl` so an interrupted run resumes there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json, ensure_writable_dir, read_jsonl, safe_join, write_jsonl

MANIFEST = "manifest.jsonl"
SUMMARY = "summary.json"
JOURNAL = ".journal.jsonl"

#: fields every manifest row has (docs/faceset.md); extra keys are allowed and kept
FACE_FIELDS: tuple[str, ...] = (
    "file",
    "mask",
    "identity",
    "source",
    "frame_index",
    "timestamp",
    "bbox",
    "landmarks",
    "landmarks_crop",
    "matrix",
    "face_type",
    "size",
    "pose",
    "blur",
    "identity_distance",
    "config_hash",
)


def read_faceset(faces_dir: str | os.PathLike[str], check_files: bool = True) -> list[dict[str, Any]]:
    """Rows of `faces_dir/manifest.jsonl`, each with absolute `path` and `mask_path` added (checked by safe_join)."""
    faces_dir = Path(faces_dir)
    manifest = faces_dir / MANIFEST
    if not manifest.is_file():
        raise FaceswapError(
            f"no face set at {faces_dir} (missing {MANIFEST})",
            "run `faceswap preprocess` first or point to a face-set folder",
            param="faces_dir",
        )
    rows = read_jsonl(manifest)
    for row in rows:
        missing = [k for k in ("file", "mask", "landmarks_crop", "matrix") if k not in row]
        if missing:
            raise FaceswapError(f"{manifest} row lacks {', '.join(missing)}", "rerun `faceswap preprocess`")
        row["path"] = safe_join(faces_dir, row["file"])
        row["mask_path"] = safe_join(faces_dir, row["mask"])
        if check_files and not row["path"].is_file():
            raise FaceswapError(f"face set file missing: {row['path']}", "rerun `faceswap preprocess` to rebuild it")
    return rows


def faceset_arrays(row: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks_crop [68,2] float32, matrix [2,3] float64) of a manifest row."""
    return np.asarray(row["landmarks_crop"], np.float32), np.asarray(row["matrix"], np.float64)


def write_manifest(faces_dir: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    """Atomically write the manifest; the in-memory `path`/`mask_path` keys are not stored."""
    clean = [{k: v for k, v in row.items() if k not in ("path", "mask_path")} for row in rows]
    return write_jsonl(Path(faces_dir) / MANIFEST, clean)


def read_summary(faces_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    path = Path(faces_dir) / SUMMARY
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


class FaceJournal:
    """Append-only record of processed frames: {"key", "faces": [rows], "dropped": {reason: n}}.

    The first line holds the run's fingerprint; a journal from another config or input is discarded.
    A half-written last line (power cut, kill -9) is ignored on resume.
    """

    def __init__(self, faces_dir: str | os.PathLike[str], fingerprint: str) -> None:
        self.dir = ensure_writable_dir(faces_dir)
        self.path = self.dir / JOURNAL
        self.fingerprint = fingerprint
        self.entries: dict[str, dict[str, Any]] = {}
        self._load()
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        if self.path.stat().st_size == 0:
            self._append({"fingerprint": fingerprint})

    def _load(self) -> None:
        if not self.path.is_file():
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            header = json.loads(lines[0]) if lines else {}
        except json.JSONDecodeError:
            header = {}
        if header.get("fingerprint") != self.fingerprint:
            self.path.unlink()
            return
        good = [lines[0]]
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break  # interrupted mid-line: everything after is redone
            self.entries[entry["key"]] = entry
            good.append(line)
        self.path.write_text("".join(g + "\n" for g in good), encoding="utf-8")

    def _append(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, sort_keys=True, default=_plain) + "\n")
        self._fh.flush()

    def done(self, key: str) -> bool:
        return key in self.entries

    def record(self, key: str, faces: list[dict[str, Any]], dropped: dict[str, int] | Counter) -> None:
        """Call after the frame's crops and masks are on disk."""
        entry = {"key": key, "faces": faces, "dropped": dict(dropped)}
        self.entries[key] = entry
        self._append(entry)

    def rows(self) -> list[dict[str, Any]]:
        return [face for entry in self.entries.values() for face in entry["faces"]]

    def dropped(self) -> Counter:
        total: Counter = Counter()
        for entry in self.entries.values():
            total.update(entry["dropped"])
        return total

    def next_index(self) -> int:
        return sum(len(e["faces"]) for e in self.entries.values())

    def close(self, remove: bool = False) -> None:
        self._fh.close()
        if remove and self.path.exists():
            self.path.unlink()


def _plain(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(type(obj).__name__)


def write_summary(faces_dir: str | os.PathLike[str], summary: dict[str, Any]) -> Path:
    return atomic_write_json(Path(faces_dir) / SUMMARY, summary)
