"""eval.md: the evaluation result as Markdown (what `faceswap eval` prints and writes)."""

from __future__ import annotations

from typing import Any


def to_markdown(result: dict[str, Any]) -> str:
    """Two columns: every evaluated frame, and the frames whose faces were held out of training."""
    held = result.get("held_out") or {"frames": 0}
    lines = [
        f"## Swap quality ({result['frames']} frames; {held['frames']} held out of training)",
        "",
        "| metric | all frames | held-out frames |",
        "|---|---|---|",
    ]
    for name, get in (
        ("identity retrieval accuracy", lambda r: r["identity"]["retrieval_accuracy"]),
        ("descriptor distance to target", lambda r: r["identity"]["distance_to_target"]),
        ("descriptor distance to source", lambda r: r["identity"]["distance_to_source"]),
        ("head-pose error (deg)", lambda r: r["pose_error_deg"]),
        ("head-pose bias yaw / pitch / roll (deg)", lambda r: _bias(r["pose_bias_deg"])),
        ("head-pose error without the bias (deg)", lambda r: r["pose_error_unbiased_deg"]),
        ("source frames near a target training pose", lambda r: r["pose_coverage"]["covered_fraction"]),
        ("head-pose error near / far from the target's poses (deg)", lambda r: _split(r["pose_coverage"])),
        ("expression error (landmarks / inter-ocular)", lambda r: r["expression_error"]),
    ):
        cells = [_fmt(get(r)) if r.get("frames") else "–" for r in (result, held)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    t = result["temporal"]
    lines.append(
        f"| temporal change swapped / source (ratio) | {t['swapped']:.2f} / {t['source']:.2f} ({t['ratio']:.2f}) | – |"
    )
    for ident_name, r in result["reconstruction"].items():
        if isinstance(r, dict) and "ssim" in r:
            lines.append(
                f"| reconstruction {ident_name}->{ident_name} SSIM / PSNR, face mask | – "
                f"| {r['ssim_face']:.3f} / {r['psnr_face']:.1f} dB |"
            )
            lines.append(
                f"| reconstruction {ident_name}->{ident_name} SSIM / PSNR, whole crop | – "
                f"| {r['ssim']:.3f} / {r['psnr']:.1f} dB |"
            )
    return "\n".join(lines + _pose_note(result)) + "\n"


def _pose_note(result: dict[str, Any]) -> list[str]:
    """Where the source's head poses lie against the target's training poses (coverage's reference)."""
    poses, cov = result.get("poses") or {}, result.get("pose_coverage") or {}
    src, tgt = poses.get("source") or {}, poses.get("target_training") or {}
    if not src or not tgt.get("faces"):
        return []

    def where(p: dict[str, float]) -> str:
        return f"yaw {p['yaw_mean']:+.1f} ± {p['yaw_std']:.1f}°, pitch {p['pitch_mean']:+.1f} ± {p['pitch_std']:.1f}°"

    mirrored = ", and their mirror images" if tgt.get("mirrored") else ""
    return [
        "",
        f"Head poses: source {where(src)}; the target's {tgt['faces']} training faces {where(tgt)}.",
        f"A source frame is near when its (yaw, pitch) lies within {cov.get('radius_deg', float('nan')):.0f}° "
        f"of a training face{mirrored}.",
    ]


def _split(cov: dict[str, float]) -> str:
    return f"{cov['pose_error_covered_deg']:.2f} / {cov['pose_error_uncovered_deg']:.2f}"


def _bias(bias: dict[str, float]) -> str:
    """yaw / pitch / roll by name: a result read back from eval.json has its keys sorted."""
    return " / ".join(f"{bias[axis]:+.1f}" for axis in ("yaw", "pitch", "roll"))


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
