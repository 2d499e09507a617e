"""`faceswap collect`: gather the frames of every identity in `data.identities` into `collect/<id>/`.

Writes `manifest.jsonl` (what was taken, see faceswap.data.sources) and `collect.json` (fingerprint + counts);
an identity whose config and inputs have not changed is skipped, so reruns are free.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from faceswap.commands.keys import translated
from faceswap.data.sources import collect_identity
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.hashing import config_hash
from faceswap.utils.io import atomic_write_json, ensure_writable_dir, read_jsonl, write_jsonl
from faceswap.utils.logging import console, print_summary

MANIFEST = "manifest.jsonl"
INFO = "collect.json"
VERSION = 1  # bump when the rows a source writes change meaning


def selected_identities(cfg: DictConfig, option: Any) -> list[str]:
    """`option` (a list of names or null = all of data.identities), validated."""
    available = list(cfg.data.identities)
    names = list(option) if option else available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ConfigError(f"unknown identities {unknown}", f"data.identities has: {', '.join(available)}")
    return names


#: the option of each source kind that `data.limit` caps
LIMIT_KEYS: dict[str, str] = {
    "sample": "frames",
    "webcam": "frames",
    "video": "max_frames",
    "images": "max_images",
    "identity_tree": "max_images",
    "lfw": "max_images",
    "celeba": "max_images",
}


def apply_limit(params: dict[str, Any], limit: int | None) -> dict[str, Any]:
    """Cap the frames/images one identity takes, whatever its source kind (`data.limit`)."""
    key = LIMIT_KEYS.get(str(params.get("kind")))
    if limit is None or key is None:
        return params
    if int(limit) < 1:
        raise ConfigError(f"data.limit={limit} must be >= 1", "use null for no limit")
    current = params.get(key)
    return {**params, key: int(limit) if current is None else min(int(current), int(limit))}


def input_stamp(params: dict[str, Any]) -> list[Any]:
    """Size and mtime of every path a source reads, so edited inputs trigger a recollect."""
    stamps = []
    for key in ("path", "root"):
        value = params.get(key)
        for p in value if isinstance(value, list) else [value]:
            if p and Path(str(p)).expanduser().exists():
                st = Path(str(p)).expanduser().stat()
                stamps.append([str(p), st.st_size, int(st.st_mtime)])
    return stamps


def media_present(out_dir: Path) -> bool:
    """Every file the manifest points to is still there (clip.mp4 deleted -> collect again)."""
    try:
        rows = read_jsonl(out_dir / MANIFEST)
    except FaceswapError:
        return False
    sources = {str(r.get("source")) for r in rows}
    return all((Path(s) if Path(s).is_absolute() else out_dir / s).is_file() for s in sources)


def collect_one(identity: str, params: dict[str, Any], out_dir: Path, force: bool) -> tuple[int, bool]:
    """Collect one identity; returns (frames, skipped)."""
    fingerprint = config_hash({"params": params, "inputs": input_stamp(params), "version": VERSION})
    info_path = out_dir / INFO
    if not force and (out_dir / MANIFEST).is_file() and info_path.is_file():
        info = OmegaConf.to_container(OmegaConf.load(info_path))
        if isinstance(info, dict) and info.get("fingerprint") == fingerprint and media_present(out_dir):
            return int(info.get("frames", 0)), True
    ensure_writable_dir(out_dir)
    if params.get("kind") == "webcam" and os.environ.get("CI"):
        raise ConfigError("webcam collection cannot run in CI", "use data=sample or a video file")
    rows = collect_identity(identity, out_dir, params)
    write_jsonl(out_dir / MANIFEST, rows)
    atomic_write_json(
        info_path,
        {
            "fingerprint": fingerprint,
            "frames": len(rows),
            "identity": identity,
            "kind": params.get("kind"),
            "version": VERSION,
        },
    )
    return len(rows), False


@translated("collect")
def run(cfg: DictConfig) -> dict[str, Any]:
    start = time.perf_counter()
    opts = cfg.collect
    collect_dir = Path(cfg.paths.collect_dir)
    counts: dict[str, int] = {}
    skipped: list[str] = []
    for identity in selected_identities(cfg, opts.get("identities")):
        params = OmegaConf.to_container(cfg.data.identities[identity], resolve=True)
        assert isinstance(params, dict)
        params = apply_limit(params, cfg.data.get("limit"))
        with console.status(f"collect {identity} ({params.get('kind')})"):
            counts[identity], was_skipped = collect_one(
                identity, params, collect_dir / identity, bool(opts.get("force", False))
            )
        if was_skipped:
            skipped.append(identity)
    seconds = time.perf_counter() - start
    rows: dict[str, object] = {f"{k} frames": v for k, v in counts.items()}
    rows["up to date (skipped)"] = ", ".join(skipped) or "none"
    rows["output"] = str(collect_dir)
    rows["seconds"] = round(seconds, 1)
    print_summary("collect", rows)
    return {
        "frames": sum(counts.values()),
        "identities": len(counts),
        "skipped": len(skipped),
        "seconds": round(seconds, 2),
    }
