"""`faceswap <command> [hydra overrides]`: one console script, a thin Hydra entry per command."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

# command name -> (module under faceswap.commands, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "collect": ("collect", "gather frames of two identities (videos, folders, identity trees, webcam, sample)"),
    "preprocess": ("preprocess", "detect, 68-point landmarks, align, mask and filter faces into a face set"),
    "sort": ("sort", "order or subsample a face set by blur, pose, histogram or identity distance"),
    "train": ("train", "train the swap generator/discriminator through the configured phases"),
    "finetune": ("finetune", "continue or adapt a trained checkpoint with new phases or a new pair"),
    "swap": ("swap", "swap faces in an image, a folder or a video and post-process the result"),
    "generate": ("generate", "write a labelled real/fake dataset for detector research"),
    "bench": ("bench", "benchmark deepfake detectors: AUC/EER, cross-method, robustness"),
    "eval": ("eval", "measure swap quality: identity, pose, expression, reconstruction, stability"),
    "verify": ("verify", "print the C2PA manifest / watermark of a file and whether it validates"),
    "pipeline": ("pipeline", "run collect -> preprocess -> train -> finetune -> swap -> generate -> bench -> eval"),
}


# Commands that take bare arguments: `faceswap verify FILE` means `faceswap verify file=FILE`.
POSITIONAL: dict[str, str] = {"verify": "file"}


def config_dir() -> Path:
    """The `configs/` folder: $FACESWAP_CONFIG_DIR, the repo checkout, or the installed copy."""
    env = os.environ.get("FACESWAP_CONFIG_DIR")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve().parent
    candidates += [here.parents[1] / "configs", here / "configs"]
    for cand in candidates:
        if (cand / "pipeline.yaml").is_file():
            return cand
    raise SystemExit("error: configs/ folder not found — set FACESWAP_CONFIG_DIR to the repo's configs folder")


def print_help() -> None:
    print("usage: faceswap <command> [hydra overrides]   (faceswap <command> --help for a command's options)\n")
    print("commands:")
    for name, (_, desc) in COMMANDS.items():
        print(f"  {name:<11} {desc}")
    print("\nexamples:")
    print("  faceswap pipeline")
    print("  faceswap train model=liae train.steps=2000")
    print("  faceswap pipeline experiment=sample_quick")


def run_command(command: str, cfg: Any) -> Any:
    """Run one command on a composed config; user mistakes become one-line errors."""
    from faceswap.utils.config_check import RULES, check_config
    from faceswap.utils.errors import FaceswapError
    from faceswap.utils.logging import console_error

    try:
        check_config(cfg, RULES)
        module = importlib.import_module(f"faceswap.commands.{COMMANDS[command][0]}")
        result = module.run(cfg)
    except FaceswapError as exc:
        console_error(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        console_error("interrupted — rerun the same command to resume")
        sys.exit(130)
    code = module.exit_code(result) if hasattr(module, "exit_code") else 0
    if code:
        sys.exit(code)  # a command whose answer is its status (verify)
    return result


def positional_to_overrides(command: str, args: list[str]) -> list[str]:
    """Turn bare arguments of commands in POSITIONAL into quoted Hydra overrides (paths may hold spaces)."""
    key = POSITIONAL.get(command)
    if key is None:
        return args
    value_flags = {
        "--cfg",
        "-c",
        "--package",
        "-p",
        "--config-path",
        "-cp",
        "--config-name",
        "-cn",
        "--config-dir",
        "-cd",
        "--info",
        "-i",
        "--experimental-rerun",
    }
    out: list[str] = []
    for arg in args:
        if "=" in arg or arg.startswith("-") or (out and out[-1] in value_flags):
            out.append(arg)
        else:
            quoted = arg.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"{key}='{quoted}'")
    return out


def precheck_overrides(command: str, overrides: list[str]) -> None:
    """Compose once before Hydra runs so a bad key or value becomes one line, not Hydra's multi-line report."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3", job_name=command):
            compose(config_name=command, overrides=overrides, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = f"check the key with `faceswap {command} --cfg job`; use +key=value to add a new key"
        print(f"error: {first} — {hint}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> Any:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print_help()
        return 0
    from faceswap.utils.memory import retain_freed_memory

    retain_freed_memory()  # before the first tensor: every step reuses its memory instead of re-faulting it
    command, overrides = argv[0], argv[1:]
    if command not in COMMANDS and os.environ.get("LOCAL_RANK") and os.environ.get("FACESWAP_COMMAND") in COMMANDS:
        # a DDP worker that Lightning relaunched with our overrides but without the command name
        command, overrides = os.environ["FACESWAP_COMMAND"], argv
    os.environ["FACESWAP_COMMAND"] = command
    if command not in COMMANDS:
        print(f"error: unknown command '{command}' — choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
        sys.exit(2)
    overrides = positional_to_overrides(command, overrides)

    if not any(o.startswith("-") for o in overrides):
        precheck_overrides(command, overrides)

    import hydra

    @hydra.main(version_base="1.3", config_path=str(config_dir()), config_name=command)
    def _entry(cfg: Any) -> Any:
        return run_command(command, cfg)

    sys.argv = [f"faceswap {command}", *overrides]
    return _entry()


if __name__ == "__main__":  # pragma: no cover
    main()
