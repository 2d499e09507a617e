"""One key per setting: every command's config has exactly one key for each user-facing setting, and every
consumer reads that key. Library code names no config keys in its errors (commands translate them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

import faceswap
from faceswap.commands import bench, sort
from faceswap.commands import eval as eval_command
from faceswap.commands import training_config as build
from faceswap.commands.generate import target_frames
from faceswap.commands.keys import KEYS, config_key, translate_errors
from faceswap.utils.errors import FaceswapError

COMMANDS = ["collect", "preprocess", "sort", "train", "finetune", "swap", "generate", "bench", "eval", "pipeline"]
FOLDERS = [f"paths.{x}_dir" for x in ("collect", "faces", "train", "finetune", "swap", "synthetic", "bench", "eval")]
SENTINELS: dict[str, Any] = {
    **{key: f"/sentinel/{key.split('.')[1]}" for key in FOLDERS},
    "model.resolution": 4242,
    "seed": 987654321,
    "data.holdout.gap_s": 7777.5,
}
#: keys that default to another key's value but are a different setting (an input the user may point elsewhere)
DERIVED: dict[str, set[str]] = {
    "paths.synthetic_dir": {"detector.source_match.corpus"},  # the reverse-image-search corpus (bench's dataset)
}
#: names that, anywhere but their one key, would be a second key for the same setting
ONE_KEY_NAMES = {
    "faces_dir": "paths.faces_dir",
    "collect_dir": "paths.collect_dir",
    "out_dir": None,
    "output_dir": None,
    "seed": "seed",
    "gap_s": "data.holdout.gap_s",
    "resolution": "model.resolution",
}


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(node, list):
        return {f"{prefix}{i}": v for i, v in enumerate(node)} if node else {prefix[:-1]: node}
    return {prefix[:-1]: node}


def resolved(cfg: Any) -> dict[str, Any]:
    return flatten(OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False))


@pytest.mark.parametrize("command", COMMANDS)
def test_each_setting_has_one_key_and_overriding_it_reaches_no_copy(command: str, compose_cfg) -> None:
    values = resolved(compose_cfg(command, [f"{key}={sentinel}" for key, sentinel in SENTINELS.items()]))
    for key, sentinel in SENTINELS.items():
        assert values[key] == sentinel
        copies = {k for k, v in values.items() if v == sentinel and k != key}
        assert copies <= DERIVED.get(key, set()), f"{command}: {sorted(copies)} copy {key} (a second key)"


@pytest.mark.parametrize("command", COMMANDS)
def test_no_second_key_by_name(command: str, compose_cfg) -> None:
    for path in resolved(compose_cfg(command)):
        name = path.split(".")[-1]
        if name in ONE_KEY_NAMES and path != ONE_KEY_NAMES[name] and not path.startswith("hydra."):
            pytest.fail(f"{command}: {path} is a second key for {ONE_KEY_NAMES[name] or 'paths.<command>_dir'}")


# --- consumers read the one key ----------------------------------------------------------------------------


def _error(fn, *args) -> str:
    with pytest.raises(FaceswapError) as err:
        fn(*args)
    return str(err.value)


def test_faces_dir_reaches_train_finetune_sort_generate_eval(compose_cfg, tmp_path: Path) -> None:
    faces = tmp_path / "elsewhere-faces"
    train_cfg = compose_cfg("train", [f"paths.faces_dir={faces}", "seed=31337", "model.resolution=96"])
    pair = list(train_cfg.data.pair)
    dm = build.build_datamodule(train_cfg, pair)  # train and finetune build data here
    assert Path(dm.faces_dir) == faces and dm.seed == 31337 and dm.resolution == 96
    gen = build.build_module(train_cfg, build.phase_plan(train_cfg, train_cfg.phases, 10), pair).generator
    assert gen.resolution == 96  # model.resolution reaches the generator, no second resolution key
    sort_cfg = compose_cfg("sort", [f"paths.faces_dir={faces}", "sort.by=blur"])
    assert str(faces / "a") in _error(sort.run, sort_cfg)
    gen_cfg = compose_cfg("generate", [f"paths.faces_dir={faces}", "generate.targets=faceset"])
    assert str(faces / "a") in _error(lambda: next(target_frames(gen_cfg, ["a"])[0]))
    swaps = tmp_path / "elsewhere-swaps"
    eval_cfg = compose_cfg("eval", [f"paths.swap_dir={swaps}"])
    assert str(swaps) in _error(eval_command.run, eval_cfg)


def test_collect_dir_reaches_preprocess(compose_cfg, tmp_path: Path) -> None:
    from faceswap.commands import preprocess

    collected = tmp_path / "elsewhere-collect"
    cfg = compose_cfg("preprocess", [f"paths.collect_dir={collected}"])
    assert str(collected / "a") in _error(preprocess.run, cfg)
    assert "paths.collect_dir" in _error(preprocess.run, cfg)  # the command names the key


def test_synthetic_dir_reaches_bench_and_seed_its_detectors(compose_cfg, tmp_path: Path) -> None:
    data = tmp_path / "elsewhere-synthetic"
    cfg = compose_cfg("bench", [f"paths.synthetic_dir={data}", "detector=[spectrum]", "seed=55"])
    message = _error(bench.run, cfg)
    assert str(data) in message and message.startswith("paths.synthetic_dir:")
    assert bench.detector_factories(cfg)["spectrum"]().seed == 55


COMMAND_SOURCES = sorted((Path(faceswap.__file__).parent / "commands").glob("*.py"))


@pytest.mark.parametrize("path", COMMAND_SOURCES, ids=lambda p: p.name)
def test_commands_read_folders_and_seed_from_their_one_key(path: Path) -> None:
    text = path.read_text()
    bad = re.findall(r"\b\w+\.(?:out_dir|output_dir|faces_dir|collect_dir|dataset)\b", text)
    bad += re.findall(r"\b(?:cfg\.\w+|g|bc|ecfg|ft|s)\.seed\b", text)
    bad = [b for b in bad if not b.startswith(("paths.", "settings.", "self."))]
    assert not bad, f"{path.name} reads {bad}; folders are cfg.paths.<x>_dir and the seed is cfg.seed"


# --- library errors name no config keys; commands translate ------------------------------------------------

SRC = Path(faceswap.__file__).parent
SECTIONS = (
    "paths|data|preprocess|train|finetune|swap|generate|bench|eval|model|loss|augment|phases|trainer|logger|"
    "postprocess|provenance|detector|face_detector|landmarks|sort|collect|pipeline|debug|experiment|hydra|verify"
)
CONFIG_KEY = re.compile(rf"(?<![\w./-])(?:{SECTIONS})(?:\.[A-Za-z_]\w*)+|(?<![\w./-])(?:{SECTIONS}|seed)=")
PENDING: set[str] = set()  #: library files allowed to name config keys (none)


def _library_files() -> list[Path]:
    skip = {"cli.py", "utils/config_check.py"}
    files = [p for p in sorted(SRC.rglob("*.py")) if p.relative_to(SRC).as_posix() not in skip]
    return [p for p in files if not p.relative_to(SRC).as_posix().startswith("commands/")]


def _error_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String parts of every `...Error(...)` / `...Exception(...)` call, and of module constants they may use."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name.endswith(("Error", "Exception")):
                found += [(s.lineno, s.value) for s in ast.walk(node) if isinstance(s, ast.Constant)]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
            found += [(s.lineno, s.value) for s in ast.walk(node.value) if isinstance(s, ast.Constant)]
    return [(line, value) for line, value in found if isinstance(value, str)]


def test_library_errors_name_no_config_keys() -> None:
    hits = []
    for path in _library_files():
        rel = path.relative_to(SRC).as_posix()
        if rel in PENDING:
            continue
        for line, text in _error_strings(ast.parse(path.read_text())):
            hits += [f"{rel}:{line}: {m}" for m in CONFIG_KEY.findall(text)]
    assert not hits, "library errors name config keys (pass param= and let commands/keys.py name the key):\n" + (
        "\n".join(hits)
    )


def test_the_lint_catches_a_config_key() -> None:
    tree = ast.parse('raise ConfigError("unknown swap.mask", "use face_detector=dlib_hog")')
    found = [m for _, text in _error_strings(tree) for m in CONFIG_KEY.findall(text)]
    assert found == ["swap.mask", "face_detector="]


def test_every_command_translates_and_keys_exist(compose_cfg) -> None:
    with pytest.raises(FaceswapError, match=r"^swap\.mask: unknown mask mode 'x' — .*$"), translate_errors("swap"):
        raise FaceswapError("unknown mask mode 'x'", "choose one of: hull", param="mask")
    offline = FaceswapError("weights not found", "use the offline default", param="face_detector", suggest="dlib_hog")
    named = r"^face_detector: .*\(face_detector=dlib_hog\)$"
    with pytest.raises(FaceswapError, match=named), translate_errors("preprocess"):
        raise offline
    for command, table in KEYS.items():
        cfg = compose_cfg(command)
        for param in table:
            key = config_key(command, param)
            assert OmegaConf.select(cfg, key, default="<absent>") != "<absent>", f"{command}: {key} does not exist"
