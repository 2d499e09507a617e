"""`faceswap eval`: quality of a swap in numbers (identity, pose, expression, reconstruction, stability)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from faceswap.commands.keys import translated
from faceswap.data.holdout import Holdout, holdout_beside, read_holdout
from faceswap.eval.report import to_markdown
from faceswap.eval.runner import EvalInputs, evaluate, frames_csv
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json, atomic_write_text, require_file
from faceswap.utils.logging import console
from faceswap.utils.threads import MAX_AUTO_WORKERS, available_cpus, use_threads


def newest_video(folder: Path, tag: str, direction: str = "") -> Path:
    """The newest swapped video of `folder` whose name ends with `_<tag>` (e.g. `_a2b`); never another direction's."""
    videos = sorted(Path(folder).glob(f"*_{tag}.mp4"), key=lambda p: p.stat().st_mtime)
    if not videos:
        how = f"`faceswap swap swap.direction={direction}`" if direction else "`faceswap swap` for this direction"
        raise FaceswapError(f"no {tag} swap (`*_{tag}.mp4`) in {folder}", f"run {how} first or set eval.swapped=FILE")
    return videos[-1]


def swap_direction(pair: list[str], source: str, target: str) -> str:
    """`a2b`-style swap.direction that turns `source` into `target` for the trained pair, '' if none does."""
    names = {pair[0]: "a", pair[1]: "b"} if len(pair) == 2 else {}
    return f"{names[source]}2{names[target]}" if source in names and target in names else ""


def run_holdout(checkpoint: Path | None) -> Holdout | None:
    """The held-out faces recorded by the checkpoint's run (holdout.json beside it); None without a checkpoint."""
    if checkpoint is None or not checkpoint.exists():
        return None
    path = holdout_beside(checkpoint)
    if path is None:
        raise FaceswapError(
            f"no holdout.json beside {checkpoint}: which faces its run held out of training is unknown",
            "evaluate a checkpoint of a run that recorded it (retrain), or set eval.checkpoint=null",
        )
    return read_holdout(path)


@translated("eval")
def run(cfg: DictConfig) -> dict[str, Any]:
    ecfg = cfg.eval
    use_threads(ecfg.get("threads"))
    tag = f"{ecfg.source_identity}2{ecfg.target_identity}"
    direction = swap_direction(list(cfg.data.pair), str(ecfg.source_identity), str(ecfg.target_identity))
    swapped = Path(ecfg.swapped) if ecfg.swapped else newest_video(Path(cfg.paths.swap_dir), tag, direction)
    checkpoint = Path(ecfg.checkpoint) if ecfg.checkpoint else None
    inputs = EvalInputs(
        swapped=require_file(swapped, "swapped video"),
        source=require_file(ecfg.source, "source video"),
        source_identity=str(ecfg.source_identity),
        target_identity=str(ecfg.target_identity),
        faces_dir=Path(cfg.paths.faces_dir),
        checkpoint=checkpoint,
        gallery={k: Path(v) for k, v in (ecfg.gallery or {}).items()},
        holdout=run_holdout(checkpoint),
        max_frames=int(ecfg.max_frames),
        max_faces=int(ecfg.max_faces),
        coverage_radius_deg=float(ecfg.coverage_radius_deg),
        coverage_mirror=bool(ecfg.coverage_mirror),
        workers=int(ecfg.workers) if ecfg.get("workers") else min(MAX_AUTO_WORKERS, available_cpus()),
    )
    result = evaluate(inputs)
    out_dir = Path(cfg.paths.eval_dir)
    atomic_write_text(out_dir / "frames.csv", frames_csv(result.pop("per_frame")))
    atomic_write_json(out_dir / "eval.json", result)
    markdown = to_markdown(result)
    atomic_write_text(out_dir / "eval.md", markdown)
    console.print(markdown)
    recon = {f"ssim_face_{name}": r["ssim_face"] for name, r in result["reconstruction"].items() if "ssim_face" in r}
    return recon | {
        "id_retrieval": result["identity"]["retrieval_accuracy"],
        "pose_error_deg": result["pose_error_deg"],
        "temporal_ratio": result["temporal"]["ratio"],
        "held_out_frames": result["held_out"]["frames"],
        "id_retrieval_held_out": result["held_out"]["identity"]["retrieval_accuracy"],
        "pose_error_deg_held_out": result["held_out"]["pose_error_deg"],
        "pose_coverage_held_out": result["held_out"]["pose_coverage"]["covered_fraction"],
    }
