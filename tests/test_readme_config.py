"""Every config option and override the README names composes: the README cannot drift from configs/."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from faceswap.cli import COMMANDS, config_dir

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def table_overrides() -> list[str]:
    """`group=option` for every option listed in the README's configuration-group table."""
    section = README.split("## Configuration", 1)[1]
    table = re.search(r"^\|.*?(?=\n\n)", section, flags=re.M | re.S).group(0)
    out = []
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        groups = [re.findall(r"`([\w/]+)`", part) for part in cells[0].split(" / ")]
        listed = re.sub(r"\([^)]*\)", "", cells[1])  # "(works offline with `WANDB_MODE=offline`)" is no option
        options = [re.findall(r"`([^`]+)`", part) for part in listed.split(" / ")]
        if len(options) != len(groups):  # one list of options shared by several groups: descriptions only
            assert not any("=" not in o for opts in options for o in opts), line
            continue
        for names, opts in zip(groups, options, strict=True):
            out += [o if "=" in o else f"{names[0]}={o}" for o in opts]
    return out


def command_overrides() -> list[tuple[str, list[str]]]:
    """(command, overrides) of every `faceswap <command> ...` command in the README, inline or in a code block."""
    commands = re.findall(r"`faceswap (\w+)([^`]*)`", README)
    commands += re.findall(r"^faceswap (\w+)([^\n#]*)", README, flags=re.M)
    out = []
    for command, rest in commands:
        if command not in COMMANDS:
            continue
        tokens = [t for t in shlex.split(rest) if "=" in t and not t.startswith("-")]
        for token in tokens:  # a multirun sweep: each value on its own
            key, _, values = token.partition("=")
            out += [(command, [f"{key}={v}"]) for v in values.split(",")] if "," in values and "[" not in values else []
        out.append((command, [t.split(",")[0] if "[" not in t else t for t in tokens]))
    return out


def _compose(command: str, overrides: list[str]) -> None:
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            compose(config_name=command, overrides=overrides, return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


def test_readme_names_only_existing_options() -> None:
    overrides = table_overrides()
    assert "data=video" in overrides and "trainer=ddp" in overrides and len(overrides) >= 20
    for override in overrides:
        _compose("pipeline", [override])


@pytest.mark.parametrize(
    "command,overrides", command_overrides(), ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_readme_commands_compose(command: str, overrides: list[str]) -> None:
    _compose(command, overrides)


def test_the_parser_sees_the_readme_examples() -> None:
    found = {(s, " ".join(o)) for s, o in command_overrides()}
    assert ("train", "model=liae model.resolution=128 train.steps=5000") in found
    assert ("train", "hydra/launcher=joblib loss.terms.gan.weight=0") in found
