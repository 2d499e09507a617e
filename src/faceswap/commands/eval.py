"""`faceswap eval`: quality of a swap in numbers (identity, pose, expression, reconstruction, stability)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from faceswap.eval.runner import EvalInputs, evaluate, frames_csv, to_markdown
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json, atomic_write_text, require_file
from faceswap.utils.logging import console
from faceswap.utils.threads import use_threads


def newest_video(folder: Path, tag: str = "") -> Path:
    """The newest swapped video of `folder` whose name ends with `_<tag>` (e.g. `_a2b`), if any has."""
    videos = sorted(Path(folder).glob("*.mp4"), key=lambda p: p.stat().st_mtime)
    videos = [v for v in videos if v.stem.endswith(f"_{tag}")] or videos
    if not videos:
        raise FaceswapError(f"no swapped video in {folder}", "run `faceswap swap` first or set eval.swapped=FILE")
    return videos[-1]


def run(cfg: DictConfig) -> dict[str, Any]:
    ecfg = cfg.eval
    use_threads(ecfg.get("threads"))
    tag = f"{ecfg.source_identity}2{ecfg.target_identity}"
    swapped = Path(ecfg.swapped) if ecfg.swapped else newest_video(Path(cfg.swap.output_dir), tag)
    inputs = EvalInputs(
        swapped=require_file(swapped, "swapped video"),
        source=require_file(ecfg.source, "source video"),
        source_identity=str(ecfg.source_identity),
        target_identity=str(ecfg.target_identity),
        faces_dir=Path(ecfg.faces_dir),
        checkpoint=Path(ecfg.checkpoint) if ecfg.checkpoint else None,
        gallery={k: Path(v) for k, v in (ecfg.gallery or {}).items()},
        holdout_every=int(ecfg.holdout_every or 0),
        max_frames=int(ecfg.max_frames),
        max_faces=int(ecfg.max_faces),
        coverage_radius_deg=float(ecfg.coverage_radius_deg),
        coverage_mirror=bool(ecfg.coverage_mirror),
    )
    result = evaluate(inputs)
    out_dir = Path(ecfg.out_dir)
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
