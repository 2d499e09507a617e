"""`faceswap swap`: swap faces in an image, a folder or a video, post-process, label every output."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from faceswap.commands.keys import translated
from faceswap.face.detect import create_face_detector
from faceswap.face.landmarks import create_landmarker
from faceswap.face.track import FaceTracker
from faceswap.models.generator import generator_name
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.provenance.label import label_output
from faceswap.provenance.watermark import embed_invisible, visible_watermark
from faceswap.swap.engine import FrameFilter, SwapEngine
from faceswap.swap.media import SwapReport, VideoOptions, swap_path
from faceswap.swap.select import FaceSelector, reference_descriptors
from faceswap.swap.timing import PhaseTimer
from faceswap.training.export import load_generator
from faceswap.utils.errors import ConfigError, NoFaceError
from faceswap.utils.logging import console, print_summary
from faceswap.utils.threads import use_threads


def _backend(section: DictConfig, build):
    """Build a detector/landmarker from its config group: `_target_` or `name` + options."""
    if "_target_" in section:
        return instantiate(section)
    opts = OmegaConf.to_container(section, resolve=True)
    return build(opts.pop("name"), **opts)


# direction -> (source, target) index into the generator's [A, B]; a2a/b2b reconstruct a person through
# their own decoder: the same path as a swap without the identity change, the floor of `faceswap eval`
DIRECTIONS = {"a2b": (0, 1), "b2a": (1, 0), "a2a": (0, 0), "b2b": (1, 1)}


def direction_target(direction: str, identities: list[str]) -> tuple[str, str]:
    """`a2b` -> (target identity name, file tag like `a2b`) from the generator's [A, B]."""
    if direction not in DIRECTIONS:
        raise ConfigError(
            f"swap.direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}", "set swap.direction=a2b"
        )
    src, dst = (identities[i] for i in DIRECTIONS[direction])
    return dst, f"{src}2{dst}"


def frame_filter(prov: DictConfig) -> FrameFilter | None:
    """Visible/invisible watermarks from `provenance.watermark`, applied to every output frame."""
    wm = prov.get("watermark") or {}
    if not prov.get("enabled", True) or not (wm.get("visible") or wm.get("invisible")):
        return None

    def apply(rgb):
        if wm.get("visible"):
            rgb = visible_watermark(rgb, wm.text, wm.corner, wm.opacity, wm.scale)
        return embed_invisible(rgb) if wm.get("invisible") else rgb

    return apply


def build_engine(cfg: DictConfig, timer: PhaseTimer) -> tuple[SwapEngine, dict[str, Any], str]:
    s = cfg.swap
    use_threads(s.get("threads"))
    generator, meta = load_generator(s.checkpoint, device=s.device)
    target, tag = direction_target(s.direction, list(meta["identities"]))
    post: PostProcessor = instantiate(cfg.postprocess)
    engine = SwapEngine.for_generator(
        generator,
        meta,
        target,
        postprocessor=post,
        mask=s.mask,
        batch_size=s.batch_size,
        device=s.device,
        frame_filter=frame_filter(cfg.provenance),
        timer=timer,
    )
    return engine, meta, tag


@translated("swap")
def run(cfg: DictConfig) -> dict[str, Any]:
    s = cfg.swap
    timer = PhaseTimer()
    engine, meta, tag = build_engine(cfg, timer)
    detector, landmarker = _backend(cfg.face_detector, create_face_detector), _backend(cfg.landmarks, create_landmarker)
    smoothing = OmegaConf.to_container(s.smoothing) if s.smoothing else None
    refs = reference_descriptors(list(s.reference or []), detector, landmarker) if s.faces == "reference" else []
    selector = FaceSelector(s.faces, refs, s.reference_threshold)
    max_faces = 1 if s.faces == "largest" else 0

    def make_tracker(video: bool) -> FaceTracker:
        if video:
            return FaceTracker(detector, landmarker, s.detect_every, smoothing, max_faces=max_faces)
        return FaceTracker(detector, landmarker, 1, None, max_faces=max_faces)

    options = VideoOptions(s.crf, s.preset, s.max_frames, bool(s.get("overlap_io", True)))
    start = time.perf_counter()
    report = swap_path(engine, make_tracker, selector, s.input, cfg.paths.swap_dir, tag, options)
    with timer("label"):
        labelled = _label(cfg, report, meta)
    return _summarise(report, timer, labelled, tag, time.perf_counter() - start)


def _label(cfg: DictConfig, report: SwapReport, meta: dict[str, Any]) -> int:
    count = 0
    for out in report.outputs:
        if not out.swapped:
            continue
        facts = {
            "direction": cfg.swap.direction,
            "faces_swapped": out.faces,
            "frames": out.frames,
            "color": cfg.postprocess.color,
            "blend": cfg.postprocess.blend,
            "mask": cfg.swap.mask,
            "model": f"{generator_name(meta)} {meta.get('resolution')} px",
        }
        if label_output(
            out.output,
            config=cfg,
            checkpoint=cfg.swap.checkpoint,
            inputs=[out.source],
            settings=cfg.provenance,
            facts=facts,
        ):
            count += 1
    return count


def _summarise(report: SwapReport, timer: PhaseTimer, labelled: int, tag: str, wall: float) -> dict[str, Any]:
    frames = sum(o.frames for o in report.outputs)
    swapped = [o for o in report.outputs if o.swapped]
    if not swapped:
        for out in report.outputs:  # a failed run leaves no output behind
            Path(out.output).unlink(missing_ok=True)
        raise NoFaceError("no face was found in any input frame", "check the input, or try face_detector=dlib_cnn")
    timing = timer.report(frames, wall)
    rows: dict[str, object] = {
        "output": swapped[0].output if len(swapped) == 1 else Path(swapped[0].output).parent,
        "files": f"{len(swapped)} swapped, {len(report.unchanged)} without a face (copied unchanged)",
        "frames": frames,
        "speed": f"{timing['fps']} fps end to end",
        "phases (s)": ", ".join(f"{k[:-2]} {v:.2f}" for k, v in timing.items() if k.endswith("_s") and k != "total_s"),
        "labelled": f"{labelled} file(s) with C2PA/sidecar",
    }
    for path in report.unchanged:
        console.print(f"[yellow]no face found[/] in {path}: copied unchanged")
    print_summary(f"swap {tag}", rows)
    return {
        "outputs": [str(o.output) for o in swapped],
        "unchanged": report.unchanged,
        "frames": frames,
        "faces": sum(o.faces for o in report.outputs),
        "fps": timing["fps"],
        "timing": timing,
        "labelled": labelled,
    }
