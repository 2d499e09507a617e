"""`label_output`: the C2PA manifest inside the file (where the format allows) + a JSON sidecar.

The sidecar `<file>.provenance.json` records the config hash, the checkpoint hash, the hashes of every
input, the time, and the hash of the labelled file itself, so a result can be traced to what made it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from faceswap.provenance.c2pa_manifest import DIGITAL_SOURCE_TYPE, TOOL_NAME, embed_manifest, tool_version
from faceswap.provenance.keys import load_identity
from faceswap.utils.hashing import config_hash, file_sha256
from faceswap.utils.io import atomic_write_json

SIDECAR_SUFFIX = ".provenance.json"
_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "c2pa": True,
    "sidecar": True,
    "cert": None,
    "key": None,
    "key_dir": None,
    "description": "face swapped with a trained generative model",
}


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(settings):
            settings = OmegaConf.to_container(settings, resolve=True)
    except ImportError:  # pragma: no cover
        pass
    return {**_DEFAULTS, **dict(settings or {})}


def _hash_entry(path: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    if path is None:
        return None
    p = Path(path)
    return {"path": str(p), "sha256": file_sha256(p) if p.is_file() else None}


def _config_hash(config: Any) -> str | None:
    """Hash of the resolved config; a config with a broken interpolation elsewhere is hashed unresolved."""
    if config is None:
        return None
    try:
        return config_hash(config)
    except Exception:
        from omegaconf import OmegaConf

        return config_hash(OmegaConf.to_container(config, resolve=False)) if OmegaConf.is_config(config) else None


def label_output(
    path: str | os.PathLike[str],
    *,
    config: Any,
    checkpoint: str | os.PathLike[str] | None,
    inputs: Iterable[str | os.PathLike[str]],
    settings: Mapping[str, Any] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Label a finished output file as synthetic; returns the files written or changed.

    `config`: the (resolved) run config, hashed; `checkpoint`: generator file, hashed; `inputs`: source
    media, hashed; `settings`: the `provenance` config section; `facts`: extra values to record
    (direction, face count, ...). Watermarks are pixel operations applied before encoding, not here.
    """
    opts = _settings(settings)
    path = Path(path)
    if not opts["enabled"]:
        return []
    cfg_hash = _config_hash(config)
    ckpt, input_entries = _hash_entry(checkpoint), [_hash_entry(p) for p in inputs]
    record: dict[str, Any] = {
        "tool": TOOL_NAME,
        "version": tool_version(),
        "digital_source_type": DIGITAL_SOURCE_TYPE,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "config_hash": cfg_hash,
        "checkpoint": ckpt,
        "inputs": input_entries,
        "facts": dict(facts or {}),
    }
    written: list[Path] = []
    embedded = False
    if opts["c2pa"]:
        identity = load_identity(opts["cert"], opts["key"], opts["key_dir"])
        manifest_facts = {
            "config_hash": cfg_hash,
            "checkpoint_sha256": (ckpt or {}).get("sha256"),
            "input_sha256": [e["sha256"] for e in input_entries],
            **record["facts"],
        }
        embedded = embed_manifest(path, identity, opts["description"], manifest_facts)
        record["c2pa"] = {"embedded": embedded, "signer": identity.source}
        if embedded:
            written.append(path)
    record["output"] = {"path": path.name, "sha256": file_sha256(path)}
    if opts["sidecar"]:
        written.append(atomic_write_json(sidecar_path(path), record))
    return written
