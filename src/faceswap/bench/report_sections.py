"""Report sections of the statistics and generalisation protocols: videos, repeats, cross-dataset, LOFO.

Rendered from the cleaned results dict (JSON types, NaN as None) like the rest of `report.md`.
"""

from __future__ import annotations

from typing import Any


def fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def ordered(res: dict[str, Any], mapping: dict[str, Any]) -> list[str]:
    """Keys of a per-detector mapping in the configured detector order (JSON keys come back sorted)."""
    order = [n for n in res.get("detector_order", []) if n in mapping]
    return order + [n for n in mapping if n not in order]


def interval(ci: Any) -> str:
    lo, hi = ci if isinstance(ci, list) and len(ci) == 2 else (None, None)
    return f"[{fmt(lo)}, {fmt(hi)}]"


def videos(entry: dict[str, Any]) -> str:
    return f"{entry.get('n_videos_real', '–')} / {entry.get('n_videos_fake', '–')}"


def videos_section(res: dict[str, Any]) -> list[str]:
    """How many independent test videos the figures rest on, and the warnings when that is few."""
    proto = res.get("protocol", {})
    counts = proto.get("test_videos") or {}
    lines = [
        "## Test videos",
        "",
        f"The test split holds **{counts.get('real', '–')} real / {counts.get('fake', '–')} fake** source videos.",
        f"95 % intervals resample whole videos ({proto.get('bootstrap_resamples', '–')} resamples; unit:"
        f" {proto.get('bootstrap_unit', '–')}); frames of one video are not independent.",
        "",
    ]
    for warning in proto.get("warnings", []):
        lines += [f"> **Warning:** {warning}", ""]
    return lines


def video_level_section(res: dict[str, Any]) -> list[str]:
    """Video AUC (mean frame probability per video) per detector and method, with its interval over videos."""
    main, methods = res.get("main", {}), res.get("methods", [])
    if not main:
        return []
    header = ["detector", *methods, "all", "95% CI (all)", "videos real / fake"]
    rows = []
    for name in ordered(res, main):
        per, a = main[name], main[name]["all"]
        cells = [fmt(per[m]["video_auc"]) for m in methods]
        rows.append([name, *cells, fmt(a["video_auc"]), interval(a.get("video_auc_ci95")), videos(a)])
    return ["## Test AUC (video level) per detector and method", "", *table(header, rows), ""]


def repeats_section(res: dict[str, Any]) -> list[str]:
    reps = res.get("repeats") or {}
    if not reps:
        return []
    n = res.get("protocol", {}).get("repeats", "–")
    methods = [*res.get("methods", []), "all"]
    lines = [f"## Repeated splits ({n} splits: mean ± sd of test AUC, frame / video level)", ""]
    rows = []
    for name in ordered(res, reps):
        per = reps[name]
        cells = [_mean_sd(per[m]["auc"]) + " / " + _mean_sd(per[m]["video_auc"]) if m in per else "–" for m in methods]
        runs = sum(v is not None for v in per["all"]["auc"]["values"])
        rows.append([name, *cells, str(runs)])
    return [*lines, *table(["detector", *methods, "splits scored"], rows), ""]


def _mean_sd(stat: dict[str, Any]) -> str:
    return f"{fmt(stat.get('mean'))} ± {fmt(stat.get('sd'))}"


def cross_dataset_section(res: dict[str, Any]) -> list[str]:
    cross = res.get("cross_dataset") or {}
    if not cross:
        return []
    sets = list((res.get("protocol", {}).get("test_datasets") or {}).keys())
    header = ["detector", "in-domain frame", "in-domain video", *[f"{s} frame / video" for s in sets]]
    rows = []
    for name in ordered(res, cross):
        per = cross[name]
        row = [name, fmt(per["in_domain"]["auc"]), fmt(per["in_domain"]["video_auc"])]
        row += [_transfer_cell(per.get(s, {})) for s in sets]
        rows.append(row)
    counts = res.get("protocol", {}).get("cross_dataset_test_videos", {})
    note = "; ".join(f"{s}: {c.get('real')} real / {c.get('fake')} fake videos" for s, c in counts.items())
    return [
        "## Cross-dataset (trained on this dataset's train split; test AUC frame / video level)",
        "",
        *table(header, rows),
        "",
        f"Videos: in-domain {videos(next(iter(cross.values()))['in_domain'])} real / fake; {note}.",
        "",
    ]


def _transfer_cell(entry: dict[str, Any]) -> str:
    if "reason" in entry:
        return f"skipped ({entry['reason']})"
    return f"{fmt(entry.get('auc'))} / {fmt(entry.get('video_auc'))}"


def lofo_section(res: dict[str, Any]) -> list[str]:
    lofo = res.get("leave_one_family_out") or {}
    if not lofo:
        fams = res.get("families", [])
        return ["## Leave-one-family-out", "", f"Needs at least two fake families (found {len(fams)}).", ""]
    families = res.get("families", [])
    rows = []
    for name in ordered(res, lofo):
        per = lofo[name]
        rows.append([name, *[_transfer_cell(per.get(f, {})) for f in families]])
    first = next(iter(lofo.values()))
    counts = [f"{f}: {videos(first[f])}" for f in families if f in first and "reason" not in first[f]]
    return [
        "## Leave-one-family-out (trained without family F; test AUC frame / video on test reals + F)",
        "",
        *table(["detector", *[f"held out: {f}" for f in families]], rows),
        "",
        "Detectors that never see fakes are trained once; their column is their AUC on that family. "
        f"Test videos real / fake per family: {'; '.join(counts)}.",
        "",
    ]


def excluded_section(res: dict[str, Any]) -> list[str]:
    """Detectors that abstained (NaN score) on some test frames: those frames are out of their metrics."""
    main = res.get("main", {})
    counts = {n: main[n]["all"].get("n_excluded") or 0 for n in ordered(res, main)}
    lines = [f"- `{n}`: {c} test frames without a score" for n, c in counts.items() if c]
    if not lines:
        return []
    return ["## Abstentions (left out of that detector's metrics)", "", *lines, ""]
