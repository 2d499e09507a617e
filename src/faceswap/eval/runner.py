"""Swap-quality evaluation: identity, pose, expression, reconstruction and temporal stability."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from faceswap.data.datamodule import held_out
from faceswap.data.faceset import read_faceset
from faceswap.eval import metrics
from faceswap.eval.faces import FaceMeter, mean_descriptor
from faceswap.media.image import read_image
from faceswap.media.video import read_video


@dataclass
class EvalInputs:
    swapped: Path
    source: Path
    source_identity: str
    target_identity: str
    faces_dir: Path
    checkpoint: Path | None
    gallery: dict[str, Path] = field(default_factory=dict)
    holdout_every: int = 10
    max_frames: int = 120
    max_faces: int = 64


def frame_metrics(inputs: EvalInputs, meter: FaceMeter, gallery: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per-frame identity, pose and expression of the swap against its source frame."""
    pairs = zip(
        read_video(inputs.source, max_frames=inputs.max_frames),
        read_video(inputs.swapped, max_frames=inputs.max_frames),
        strict=False,
    )
    descs, pose_err, expr_err = [], [], []
    src_frames, out_frames, masks = [], [], []
    missed = 0
    for src, out in pairs:
        m_src, m_out = meter.measure(src.image), meter.measure(out.image)
        if m_src is None or m_out is None:
            missed += 1
            continue
        descs.append(m_out.descriptor)
        pose_err.append(metrics.pose_error(m_src.pose, m_out.pose))
        expr_err.append(metrics.expression_error(m_src.landmarks, m_out.landmarks))
        src_frames.append(src.image)
        out_frames.append(out.image)
        masks.append(hull_mask(m_src.landmarks, src.image.shape[:2]))
    d = np.stack(descs) if descs else np.zeros((0, 128))
    target, source = gallery[inputs.target_identity], gallery[inputs.source_identity]
    stab_src = metrics.temporal_change(src_frames, masks)
    stab_out = metrics.temporal_change(out_frames, masks)
    return {
        "frames": len(descs),
        "frames_without_face": missed,
        "identity": {
            "distance_to_target": _mean([metrics.euclidean_distance(x, target) for x in d]),
            "distance_to_source": _mean([metrics.euclidean_distance(x, source) for x in d]),
            "cosine_to_target": _mean([metrics.cosine_distance(x, target) for x in d]),
            "cosine_to_source": _mean([metrics.cosine_distance(x, source) for x in d]),
            "retrieval_accuracy": metrics.retrieval_accuracy(d, gallery, inputs.target_identity),
            "gallery": sorted(gallery),
        },
        "pose_error_deg": _mean(pose_err),
        "expression_error": _mean(expr_err),
        "temporal": {"swapped": stab_out, "source": stab_src, "ratio": _ratio(stab_out, stab_src)},
    }


def reconstruction_metrics(inputs: EvalInputs, identities: list[str]) -> dict[str, Any]:
    """SSIM/PSNR of A->A and B->B on the faces held out of training (index % holdout_every == 0)."""
    if inputs.checkpoint is None or not Path(inputs.checkpoint).exists():
        return {"skipped": f"no checkpoint at {inputs.checkpoint}"}
    from faceswap.training.export import load_generator

    generator, meta = load_generator(inputs.checkpoint)
    res = int(meta["resolution"])
    out: dict[str, Any] = {}
    for ident in identities:
        rows = read_faceset(inputs.faces_dir / ident)
        held = [r for i, r in enumerate(rows) if held_out(i, inputs.holdout_every)]
        crops = [
            cv2.resize(read_image(inputs.faces_dir / ident / r["file"]), (res, res), interpolation=cv2.INTER_AREA)
            for r in held[: inputs.max_faces]
        ]
        if not crops:
            out[ident] = {"skipped": "no held-out faces"}
            continue
        x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255.0  # [N,3,R,R]
        with torch.no_grad():
            rgb, _ = generator(x, ident)
        recon = (rgb.clamp(0, 1).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)  # [N,R,R,3]
        out[ident] = {
            "faces": len(crops),
            "ssim": _mean([metrics.ssim(a, b) for a, b in zip(crops, recon, strict=True)]),
            "psnr": _mean([metrics.psnr(a, b) for a, b in zip(crops, recon, strict=True)]),
        }
    return out


def evaluate(inputs: EvalInputs) -> dict[str, Any]:
    meter = FaceMeter()
    identities = [inputs.source_identity, inputs.target_identity]
    gallery = {name: mean_descriptor(inputs.faces_dir / name) for name in identities}
    gallery |= {name: mean_descriptor(Path(path)) for name, path in inputs.gallery.items()}
    result = frame_metrics(inputs, meter, gallery)
    result["reconstruction"] = reconstruction_metrics(inputs, identities)
    result["inputs"] = {k: str(v) for k, v in vars(inputs).items() if k != "gallery"}
    return result


def hull_mask(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.float32)
    cv2.fillConvexPoly(mask, cv2.convexHull(landmarks.astype(np.int32)), 1.0)
    return mask


def to_markdown(result: dict[str, Any]) -> str:
    ident, rec = result["identity"], result["reconstruction"]
    rows = [
        ("identity retrieval accuracy", ident["retrieval_accuracy"]),
        (
            "descriptor distance to target / source",
            f"{ident['distance_to_target']:.3f} / {ident['distance_to_source']:.3f}",
        ),
        ("head-pose error (deg)", result["pose_error_deg"]),
        ("expression error (landmarks / inter-ocular)", result["expression_error"]),
        (
            "temporal change swapped / source (ratio)",
            f"{result['temporal']['swapped']:.2f} / "
            f"{result['temporal']['source']:.2f} ({result['temporal']['ratio']:.2f})",
        ),
    ]
    for ident_name, r in rec.items():
        if isinstance(r, dict) and "ssim" in r:
            rows.append(
                (f"reconstruction {ident_name}->{ident_name} SSIM / PSNR", f"{r['ssim']:.3f} / {r['psnr']:.1f} dB")
            )
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in rows]
    return f"## Swap quality ({result['frames']} frames)\n\n" + "\n".join(lines) + "\n"


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b and np.isfinite(a) and np.isfinite(b) else float("nan")
