"""`faceswap sort sort.by=blur|yaw|pitch|hist|identity|varied [sort.keep=N]`: order or subsample face sets.

The same options work inside `faceswap preprocess sort.by=...`, which sorts right after extraction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from faceswap.commands.collect import selected_identities
from faceswap.commands.keys import translated
from faceswap.data.facesort import sort_faceset
from faceswap.utils.errors import ConfigError
from faceswap.utils.logging import print_summary


def sort_identities(cfg: DictConfig, identities: list[str] | None = None) -> dict[str, int]:
    s = cfg.sort
    by = s.get("by")
    if not by:
        raise ConfigError("sort.by is not set", "choose sort.by=blur|yaw|pitch|hist|identity|varied|none")
    counts = {}
    for identity in identities if identities is not None else selected_identities(cfg, s.get("identities")):
        counts[identity] = sort_faceset(
            Path(cfg.paths.faces_dir) / identity,
            str(by),
            s.get("keep"),
            bool(s.get("reverse", False)),
            int(s.get("bins", 10)),
        )
    return counts


@translated("sort")
def run(cfg: DictConfig) -> dict[str, Any]:
    counts = sort_identities(cfg)
    print_summary(
        f"sort by {cfg.sort.by}", {f"{k} faces": v for k, v in counts.items()} | {"output": str(cfg.paths.faces_dir)}
    )
    return {"faces": sum(counts.values()), "identities": len(counts)}
