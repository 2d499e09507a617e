"""Swap-quality evaluation: identity, pose, expression, reconstruction and temporal stability."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from faceswap.data.faceset import read_faceset
from faceswap.data.holdout import Holdout
from faceswap.eval import coverage, metrics
from faceswap.eval.faces import FaceMeter, mean_descriptor
from faceswap.media.image import read_image
from faceswap.media.video import probe, read_video
from faceswap.utils.errors import FaceswapError
from faceswap.utils.logging import progress


@dataclass
class EvalInputs:
    swapped: Path
    source: Path
    source_identity: str
    target_identity: str
    faces_dir: Path
    checkpoint: Path | None
    gallery: dict[str, Path] = field(default_factory=dict)
    holdout: Holdout | None = None  # the faces the checkpoint's run kept out of training (its holdout.json)
    max_frames: int = 120
    max_faces: int = 64
    coverage_radius_deg: float = 4.0  # a source pose this close to a target training pose counts as covered
    coverage_mirror: bool = True  # training flips faces, so mirrored target poses count as seen
    workers: int = 1  # processes that measure faces (dlib holds the GIL)


@dataclass
class FrameScore:
    """One evaluated frame: its swap against its source frame."""

    index: int
    held_out: bool
    descriptor: np.ndarray  # [128] dlib descriptor of the swapped face
    source_pose: tuple[float, float, float]  # yaw, pitch, roll (deg)
    swap_pose: tuple[float, float, float]
    expression_error: float
    target_pose_distance: float = float("nan")  # degrees from the source (yaw, pitch) to the nearest target face

    @property
    def pose_difference(self) -> np.ndarray:
        """Signed swap - source (yaw, pitch, roll) in degrees, wrapped to [-180, 180) [3]."""
        return (np.subtract(self.swap_pose, self.source_pose) + 180.0) % 360.0 - 180.0


FRAME_COLUMNS = (
    "frame,held_out,src_yaw,src_pitch,src_roll,swap_yaw,swap_pitch,swap_roll,pose_error,expression_error,"
    "target_pose_distance"
)


def frames_csv(frames: list[FrameScore]) -> str:
    """Per-frame scores as CSV text, for plots and for finding the frames that fail."""
    rows = [FRAME_COLUMNS]
    for f in frames:
        poses = ",".join(f"{v:.3f}" for v in (*f.source_pose, *f.swap_pose))
        err = metrics.pose_error(f.source_pose, f.swap_pose)
        cells = f"{err:.3f},{f.expression_error:.4f},{f.target_pose_distance:.3f}"
        rows.append(f"{f.index},{int(f.held_out)},{poses},{cells}")
    return "\n".join(rows) + "\n"


def held_out_frames(inputs: EvalInputs) -> set[int]:
    """Frame indices of the source video whose faces were held out of training (none if the set is not from it)."""
    if inputs.holdout is None:
        return set()
    rows = read_faceset(inputs.faces_dir / inputs.source_identity, check_files=False)
    source = Path(inputs.source).resolve()
    return {
        int(r["frame_index"])
        for r in rows
        if inputs.holdout.is_held_out(inputs.source_identity, r)
        and r.get("frame_index") is not None
        and _same_media(r["source"], source)
    }


def _same_media(stored: str, source: Path) -> bool:
    """Collected videos are recorded relative to their collect folder (`clip.mp4`), others absolute."""
    path = Path(stored)
    return path.resolve() == source if path.is_absolute() else path.name == source.name


def frame_metrics(inputs: EvalInputs, meter: FaceMeter, gallery: dict[str, np.ndarray]) -> dict[str, Any]:
    """Identity, pose and expression of the swap against its source frame: on all frames, and on the
    frames whose faces were held out of training (the fair measure); flicker over all consecutive frames."""
    held = held_out_frames(inputs)
    max_frames = inputs.max_frames if inputs.max_frames > 0 else None
    src_video = read_video(inputs.source, max_frames=max_frames)
    frames = probe(inputs.swapped).frames
    total = min(frames, max_frames) if frames and max_frames else (frames or max_frames)
    swapped = read_video(inputs.swapped, max_frames=max_frames)
    pairs = list(progress(zip(src_video, swapped, strict=False), "reading frames", total))
    # src, out, src, out, ...: only the swapped face's identity is scored, so the source frames skip the descriptor
    measured = meter.measure_all([frame.image for pair in pairs for frame in pair], [False, True] * len(pairs))
    per_frame: list[FrameScore] = []
    src_frames, out_frames, masks = [], [], []
    missed = 0
    for (src, out), m_src, m_out in zip(pairs, measured[::2], measured[1::2], strict=True):
        if m_src is None or m_out is None:
            missed += 1
            continue
        assert m_out.descriptor is not None  # asked for above
        expression = metrics.expression_error(m_src.landmarks, m_out.landmarks)
        per_frame.append(FrameScore(src.index, src.index in held, m_out.descriptor, m_src.pose, m_out.pose, expression))
        src_frames.append(src.image)
        out_frames.append(out.image)
        masks.append(hull_mask(m_src.landmarks, src.image.shape[:2]))
    poses = pose_coverage_of(per_frame, inputs)
    stab_src = metrics.temporal_change(src_frames, masks)
    stab_out = metrics.temporal_change(out_frames, masks)
    result = _swap_scores(per_frame, gallery, inputs)
    result["frames_without_face"] = missed
    result["poses"] = poses
    result["temporal"] = {"swapped": stab_out, "source": stab_src, "ratio": _ratio(stab_out, stab_src)}
    result["held_out"] = _swap_scores([f for f in per_frame if f.held_out], gallery, inputs)
    result["held_out"]["source_frames"] = len(held)  # held-out frames of the clip, measured or not
    result["per_frame"] = per_frame  # the command writes it as frames.csv, not into eval.json
    return result


def check_same_size(inputs: EvalInputs) -> None:
    """A swap has its source's frame size; another size means the wrong pair of videos."""
    src, out = probe(inputs.source), probe(inputs.swapped)
    if (src.width, src.height) != (out.width, out.height):
        raise FaceswapError(
            f"{inputs.swapped.name} is {out.width}x{out.height} but its source {inputs.source.name} is "
            f"{src.width}x{src.height}: not a swap of that source",
            "evaluate the swap made from this source video",
            param="swapped",
        )


def pose_coverage_of(per_frame: list[FrameScore], inputs: EvalInputs) -> dict[str, Any]:
    """Set each frame's distance to the target's training poses; the two pose distributions, summarised."""
    train = coverage.training_poses(inputs.faces_dir, inputs.target_identity, inputs.holdout)  # [M,2]
    source = np.array([f.source_pose[:2] for f in per_frame], np.float64).reshape(-1, 2)  # [N,2]
    seen = coverage.with_mirrors(train) if inputs.coverage_mirror else train
    for frame, dist in zip(per_frame, coverage.nearest_pose_distance(source, seen), strict=True):
        frame.target_pose_distance = float(dist)
    return {
        "source": coverage.pose_summary(source),
        "target_training": coverage.pose_summary(train) | {"faces": len(train), "mirrored": inputs.coverage_mirror},
    }


def _swap_scores(per_frame: list[FrameScore], gallery: dict[str, np.ndarray], inputs: EvalInputs) -> dict[str, Any]:
    d = np.stack([f.descriptor for f in per_frame]) if per_frame else np.zeros((0, 128))  # [N,128]
    target, source = gallery[inputs.target_identity], gallery[inputs.source_identity]
    diff = np.stack([f.pose_difference for f in per_frame]) if per_frame else np.zeros((0, 3))  # [N,3]
    bias = diff.mean(0) if len(diff) else np.full(3, np.nan)  # [3]
    errors = np.array([metrics.pose_error(f.source_pose, f.swap_pose) for f in per_frame], np.float64)  # [N]
    return {
        "frames": len(per_frame),
        "identity": {
            "distance_to_target": _mean([metrics.euclidean_distance(x, target) for x in d]),
            "distance_to_source": _mean([metrics.euclidean_distance(x, source) for x in d]),
            "cosine_to_target": _mean([metrics.cosine_distance(x, target) for x in d]),
            "cosine_to_source": _mean([metrics.cosine_distance(x, source) for x in d]),
            "retrieval_accuracy": metrics.retrieval_accuracy(d, gallery, inputs.target_identity),
            "gallery": sorted(gallery),
        },
        "pose_error_deg": _mean(list(errors)),
        # the error split: a constant offset per axis (face shape, typical pose) and what is left (tracking)
        "pose_bias_deg": {axis: float(b) for axis, b in zip(("yaw", "pitch", "roll"), bias, strict=True)},
        "pose_error_unbiased_deg": _mean(list(np.abs(diff - bias).mean(1))),
        "expression_error": _mean([f.expression_error for f in per_frame]),
        "pose_coverage": coverage.coverage_scores(
            np.array([f.target_pose_distance for f in per_frame], np.float64), errors, inputs.coverage_radius_deg
        ),
    }


def reconstruction_metrics(inputs: EvalInputs, identities: list[str]) -> dict[str, Any]:
    """SSIM/PSNR of A->A and B->B on the faces held out of training (the run's holdout.json)."""
    if inputs.checkpoint is None or not Path(inputs.checkpoint).exists():
        return {"skipped": f"no checkpoint at {inputs.checkpoint}"}
    from faceswap.training.export import load_generator

    generator, meta = load_generator(inputs.checkpoint)
    res = int(meta["resolution"])
    out: dict[str, Any] = {}
    for ident in identities:
        rows = read_faceset(inputs.faces_dir / ident)
        holdout = inputs.holdout
        held = [r for r in rows if holdout is not None and holdout.is_held_out(ident, r)][: inputs.max_faces]
        if not held:
            out[ident] = {"skipped": "no held-out faces"}
            continue
        crops = [_resized(read_image(r["path"]), res) for r in held]  # [R,R,3] each
        masks = [_resized(read_image(r["mask_path"]), res)[..., 0] / 255.0 for r in held]  # [R,R] each
        x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255.0  # [N,3,R,R]
        with torch.no_grad():
            rgb, _ = generator(x, ident)
        recon = (rgb.clamp(0, 1).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)  # [N,R,R,3]
        trios = list(zip(crops, recon, masks, strict=True))
        out[ident] = {
            "faces": len(crops),
            "ssim": _mean([metrics.ssim(a, b) for a, b, _ in trios]),
            "psnr": _mean([metrics.psnr(a, b) for a, b, _ in trios]),
            "ssim_face": _mean([metrics.ssim(a, b, m) for a, b, m in trios]),
            "psnr_face": _mean([metrics.psnr(a, b, m) for a, b, m in trios]),
        }
    return out


def evaluate(inputs: EvalInputs) -> dict[str, Any]:
    check_same_size(inputs)
    identities = [inputs.source_identity, inputs.target_identity]
    with FaceMeter(workers=inputs.workers) as meter:
        gallery = {name: mean_descriptor(inputs.faces_dir / name, meter) for name in identities}
        gallery |= {name: mean_descriptor(Path(path), meter) for name, path in inputs.gallery.items()}
        result = frame_metrics(inputs, meter, gallery)
    result["reconstruction"] = reconstruction_metrics(inputs, identities)
    result["inputs"] = {k: str(v) for k, v in vars(inputs).items() if k not in ("gallery", "holdout")}
    result["holdout"] = inputs.holdout.summary() if inputs.holdout else {"faces": {}, "note": "no held-out list"}
    return result


def _resized(image: np.ndarray, side: int) -> np.ndarray:
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)


def hull_mask(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.float32)
    cv2.fillConvexPoly(mask, cv2.convexHull(landmarks.astype(np.int32)), 1.0)
    return mask


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b and np.isfinite(a) and np.isfinite(b) else float("nan")
