"""Sharded preprocessing: `shard=i/n` writes to `faces/<id>/shards/<i>-of-<n>/`; merging combines the shard
manifests into `faces/<id>/manifest.jsonl` with paths that point into the shard folders (no copying)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from faceswap.data.faceset import MANIFEST, read_faceset, read_summary, write_manifest, write_summary
from faceswap.utils.errors import FaceswapError


def shard_dir(identity_dir: Path, shard: tuple[int, int] | None) -> Path:
    if shard is None:
        return identity_dir
    return identity_dir / "shards" / f"{shard[0]}-of-{shard[1]}"


def merge_shards(identity_dir: Path) -> int:
    """Merge every complete shard of one identity; all shards of one `n` must be present."""
    root = identity_dir / "shards"
    folders = sorted(p for p in root.glob("*-of-*") if (p / MANIFEST).is_file()) if root.is_dir() else []
    if not folders:
        raise FaceswapError(f"no finished shards under {root}", "run `faceswap preprocess shard=i/n` for every i first")
    totals = {int(p.name.split("-of-")[1]) for p in folders}
    if len(totals) != 1:
        raise FaceswapError(f"shards of different counts in {root}: {sorted(totals)}", "remove the stale shard folders")
    n = totals.pop()
    have = {int(p.name.split("-of-")[0]) for p in folders}
    missing = sorted(set(range(n)) - have)
    if missing:
        raise FaceswapError(
            f"shards {missing} of {n} are not finished in {root}",
            f"run `faceswap preprocess shard={missing[0]}/{n}` (and the others)",
        )
    rows, dropped, frames = [], Counter(), 0
    for folder in folders:
        rel = folder.relative_to(identity_dir).as_posix()
        for row in read_faceset(folder):
            row["file"], row["mask"] = f"{rel}/{row['file']}", f"{rel}/{row['mask']}"
            rows.append(row)
        summary = read_summary(folder) or {}
        dropped.update(summary.get("dropped", {}))
        frames += int(summary.get("frames", 0))
    rows.sort(key=lambda r: (str(r["source"]), int(r["frame_index"]), r["file"]))
    write_manifest(identity_dir, rows)
    first = read_summary(folders[0]) or {}
    write_summary(
        identity_dir,
        {
            "identity": identity_dir.name,
            "frames": frames,
            "faces": len(rows),
            "dropped": dict(sorted(dropped.items())),
            "dropped_total": sum(dropped.values()),
            "merged_from": [p.name for p in folders],
            "fingerprint": json.dumps(sorted(p.name for p in folders)),
            "config_hash": first.get("config_hash"),
            "face_type": first.get("face_type"),
            "size": first.get("size"),
            "padding": first.get("padding"),
        },
    )
    return len(rows)
