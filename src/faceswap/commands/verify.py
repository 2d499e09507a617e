"""`faceswap verify FILE`: show whether a file is labelled as synthetic and whether the label validates."""

from __future__ import annotations

import json
from typing import Any

from omegaconf import DictConfig

from faceswap.commands.keys import translated
from faceswap.provenance.verify import EXIT_CODES, format_report, verify_file
from faceswap.utils.errors import ConfigError
from faceswap.utils.logging import console


@translated("verify")
def run(cfg: DictConfig) -> dict[str, Any]:
    target = cfg.get("file")
    if not target:
        raise ConfigError("no file to verify", "run `faceswap verify PATH` (or file=PATH)")
    report = verify_file(target, cfg.provenance.get("key_dir"), bool(cfg.get("verify", {}).get("watermark", True)))
    if cfg.get("verify", {}).get("json"):
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        for line in format_report(report):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    return report.to_dict()


def exit_code(result: dict[str, Any]) -> int:
    """The CLI's exit status: 0 only for a readable file whose synthetic-content label validates."""
    return EXIT_CODES[result["verdict"]]
