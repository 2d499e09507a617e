"""Shared fixtures: compose the real configs (as the CLI does), shrink them for CPU, point outputs at tmp."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict

from faceswap.cli import config_dir

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
# C2PA signing keys that tests make go to a throwaway folder, never the user's ~/.config/faceswap;
# removed when the test process that made it exits
if "FACESWAP_CONFIG_HOME" not in os.environ:
    os.environ["FACESWAP_CONFIG_HOME"] = tempfile.mkdtemp(prefix="faceswap-config-")
    atexit.register(shutil.rmtree, os.environ["FACESWAP_CONFIG_HOME"], ignore_errors=True)

# Overrides that make every command small enough for a 2-core CI machine.
TINY: list[str] = ["debug=fast"]

ComposeFn = Callable[..., DictConfig]


def compose_command(
    command: str, root: Path, overrides: list[str] | tuple[str, ...] = (), tiny: bool = True
) -> DictConfig:
    """Compose `configs/<command>.yaml` exactly as `faceswap <command>` would, with outputs under `root`."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name=command,
            overrides=[*(TINY if tiny else []), f"paths.root_dir={root}", *overrides],
            return_hydra_config=False,
        )
    GlobalHydra.instance().clear()
    with open_dict(cfg):
        cfg.paths.root_dir = str(root)
    return cfg


@pytest.fixture
def compose_cfg(tmp_path: Path) -> Iterator[ComposeFn]:
    """Function-scoped: `compose_cfg("train", ["model=liae"])` -> DictConfig writing under tmp_path."""

    def _compose(command: str, overrides: list[str] | tuple[str, ...] = (), tiny: bool = True) -> DictConfig:
        return compose_command(command, tmp_path, overrides, tiny)

    yield _compose
    GlobalHydra.instance().clear()
