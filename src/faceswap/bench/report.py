"""Benchmark outputs: `results.json` (the source of truth), `report.md`, `roc.png`, `robustness.png`.

The Markdown and the plots are rendered from the results dict only, so they always agree with
`results.json`; NaN (a metric undefined on the data) is written as JSON null and shown as "–".
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from faceswap.bench.report_sections import (
    cross_dataset_section,
    excluded_section,
    fmt,
    interval,
    lofo_section,
    ordered,
    repeats_section,
    table,
    video_level_section,
    videos,
    videos_section,
)
from faceswap.utils.io import atomic_path, atomic_write_json, atomic_write_text, ensure_writable_dir

__all__ = ["clean_nan", "fmt", "ordered", "render_markdown", "write_report"]


def clean_nan(obj: Any) -> Any:
    """NaN/inf -> None recursively, numpy scalars -> Python, so results.json is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): clean_nan(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_nan(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_report(out_dir: str | os.PathLike[str], results: dict[str, Any]) -> dict[str, Path]:
    """Write all four files atomically; returns their paths."""
    out = ensure_writable_dir(out_dir)
    clean = json.loads(json.dumps(clean_nan(results), sort_keys=True))  # exactly what results.json holds
    paths = {
        "results": atomic_write_json(out / "results.json", clean),
        "report": atomic_write_text(out / "report.md", render_markdown(clean)),
        "roc": out / "roc.png",
        "robustness": out / "robustness.png",
    }
    plot_roc(clean, paths["roc"])
    plot_robustness(clean, paths["robustness"])
    return paths


def render_markdown(res: dict[str, Any]) -> str:
    lines = ["# Detector benchmark", ""]
    lines += _protocol_section(res)
    lines += videos_section(res)
    lines += _main_section(res)
    lines += _skipped_section(res)
    lines += excluded_section(res)
    lines += video_level_section(res)
    lines += repeats_section(res)
    lines += _cross_section(res)
    lines += lofo_section(res)
    lines += cross_dataset_section(res)
    lines += _robustness_section(res)
    return "\n".join(lines) + "\n"


_MAIN_COLUMNS = [
    "all",
    "95% CI (all)",
    "video AUC",
    "video 95% CI",
    "videos real / fake",
    "AP",
    "EER",
    "acc real",
    "acc fake",
    "TPR@1%FPR",
    "ms/frame",
]


def _main_section(res: dict[str, Any]) -> list[str]:
    """Test AUC per detector and method, the average row, then the detectors kept out of the average."""
    methods, main = res.get("methods", []), res.get("main", {})
    lines = ["## Test AUC (frame level) per detector and method (95 % CI: resampling videos)", ""]
    rows, prov_rows = [], []
    for name in ordered(res, main):
        row = [name, *[fmt(main[name][m]["auc"]) for m in methods], *_main_cells(res, name)]
        (rows if res["detectors"][name].get("in_average", True) else prov_rows).append(row)
    avg = res.get("average", {})
    rows.append(["**average**", *[fmt(avg.get(m)) for m in methods], fmt(avg.get("all"))] + [""] * 10)
    lines += [*table(["detector", *methods, *_MAIN_COLUMNS], rows + prov_rows), ""]
    if prov_rows:
        lines += [
            "Detectors below the average row are kept out of it: provenance reads metadata, not pixels; an oracle "
            "(see Protocol: oracle_detectors) is given more than a deployed detector.",
            "",
        ]
    return lines


def _main_cells(res: dict[str, Any], name: str) -> list[str]:
    """One detector's cells after its per-method AUCs, in _MAIN_COLUMNS order."""
    a = res["main"][name]["all"]
    ci = a.get("auc_ci95") or [None, None]
    return [
        fmt(a["auc"]),
        f"[{fmt(ci[0])}, {fmt(ci[1])}]",
        fmt(a["video_auc"]),
        interval(a.get("video_auc_ci95")),
        videos(a),
        fmt(a["ap"]),
        fmt(a["eer"]),
        fmt(a["acc_real"]),
        fmt(a["acc_fake"]),
        fmt(a["tpr_at_1fpr"]),
        fmt(res["detectors"][name].get("ms_per_frame"), 2),
    ]


def _protocol_section(res: dict[str, Any]) -> list[str]:
    proto = res.get("protocol", {})
    lines = ["## Protocol", ""]
    for key in sorted(proto):
        lines.append(f"- **{key}**: {proto[key]}")
    return [*lines, ""]


def _skipped_section(res: dict[str, Any]) -> list[str]:
    skipped = {n: d for n, d in res.get("detectors", {}).items() if d.get("status") != "ok"}
    if not skipped:
        return []
    return ["## Skipped detectors", "", *[f"- `{n}`: {d.get('reason')}" for n, d in skipped.items()], ""]


def _cross_section(res: dict[str, Any]) -> list[str]:
    cross = res.get("cross_method", {})
    if not cross:
        return ["## Cross-method matrix", "", "Needs at least two fake methods in the dataset.", ""]
    lines = ["## Cross-method matrix (test AUC; rows: trained on, columns: tested on)", ""]
    for name in ordered(res, cross):
        matrix = cross[name]
        cols = list(next(iter(matrix.values())).keys())
        rows = [[train, *[fmt(matrix[train][c]) for c in cols]] for train in matrix]
        lines += [f"**{name}**", "", *table(["train \\ test", *cols], rows), ""]
    return lines


def _robustness_section(res: dict[str, Any]) -> list[str]:
    rob = {n: p for n, p in res.get("robustness", {}).items() if p}
    if not rob:
        return []
    names = ordered(res, rob)
    lines = ["## Robustness (test AUC under test-time perturbation, all methods)", ""]
    rows = [["clean", "–", *[fmt(res["main"][n]["all"]["auc"]) for n in names]]]
    for pert, levels in next(iter(rob.values())).items():
        for i, point in enumerate(levels):
            row = [pert, f"{point['level']:g}"]
            row += [fmt(rob[n][pert][i]["auc"]) if pert in rob[n] else "–" for n in names]
            rows.append(row)
    return [*lines, *table(["perturbation", "level", *names], rows), ""]


def plot_roc(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    for name in ordered(res, res.get("roc", {})):
        c = res["roc"][name].get("all")
        if c:
            auc = res["main"][name]["all"]["auc"]
            ax.plot(c["fpr"], c["tpr"], label=f"{name} (AUC {fmt(auc)})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, test split, all methods")
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def plot_robustness(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rob = {n: p for n, p in res.get("robustness", {}).items() if p}
    perts = sorted({p for per in rob.values() for p in per})
    cols = max(1, min(4, len(perts)))
    rows = max(1, math.ceil(len(perts) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    for ax, pert in zip(axes.flat, perts, strict=False):
        for name, per in rob.items():
            points = per.get(pert, [])
            aucs = [p["auc"] if p["auc"] is not None else math.nan for p in points]
            ax.plot(range(len(points)), aucs, marker="o", label=name)
            ax.set_xticks(range(len(points)), [f"{p['level']:g}" for p in points], fontsize=7)
        ax.set(title=pert, ylim=(0.0, 1.02))
        ax.axhline(0.5, color="k", lw=0.5, ls="--")
    for ax in list(axes.flat)[len(perts) :]:
        ax.axis("off")
    if not perts:
        axes[0, 0].text(0.5, 0.5, "no robustness results", ha="center")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    _save(fig, path)


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
