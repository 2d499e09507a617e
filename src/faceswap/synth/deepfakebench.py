"""DeepfakeBench dataset JSON: export our index to it, import one into our index.

Layout (DeepfakeBench `preprocessing/rearrange.py`): `{dataset: {label_name: {split: {compression:
{video: {"label": label_name, "frames": [paths], "masks": [paths]}}}}}}`; datasets other than FF++
omit the compression level. Which label names are fake is DeepfakeBench's `label_dict`, written
beside the export as `<name>.label_dict.json`.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from faceswap.synth.index import index_path, read_index, write_index
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json


def label_name(dataset: str, record: dict[str, Any]) -> str:
    return f"{dataset}-real" if record["label"] == 0 else f"{dataset}-{record['method']}"


def export_deepfakebench(
    index_root: str | os.PathLike[str],
    out_json: str | os.PathLike[str],
    dataset: str = "faceswap",
    compression: str = "raw",
) -> tuple[Path, Path]:
    """Write `out_json` (+ `<stem>.label_dict.json`), one label per method; frame paths are absolute, and each
    video entry carries its `family` (an extra key DeepfakeBench's loader ignores)."""
    doc = read_index(index_root)
    root = Path(doc.get("data_root") or index_path(index_root).parent).resolve()
    tree: dict[str, Any] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    labels: dict[str, int] = {}
    for rec in sorted(doc["samples"], key=lambda r: (r["video_id"], r["frame_index"])):
        name = label_name(dataset, rec)
        labels[name] = rec["label"]
        videos = tree[name][rec["split"]].setdefault(compression, {})
        entry = videos.setdefault(rec["video_id"], {"label": name, "frames": [], "masks": []})
        if rec.get("family"):
            entry["family"] = rec["family"]  # extra key (DeepfakeBench ignores it): the manipulation family
        entry["frames"].append(str(root / rec["file"]))
        if rec.get("mask"):
            entry["masks"].append(str(root / rec["mask"]))
    out_json = Path(out_json)
    atomic_write_json(out_json, {dataset: json.loads(json.dumps(tree))})
    label_path = atomic_write_json(out_json.with_suffix(".label_dict.json"), labels)
    return out_json, label_path


def _videos(node: dict[str, Any]) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """{video: (compression or None, entry)} under one split node, with or without a compression level."""
    out: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for key, value in node.items():
        if isinstance(value, dict) and "frames" in value:
            out[key] = (None, value)
        elif isinstance(value, dict):
            out.update({video: (key, entry) for video, entry in value.items()})
    return out


def _label_of(name: str, label_dict: dict[str, int] | None) -> int:
    if label_dict is not None:
        if name not in label_dict:
            raise FaceswapError(f"label '{name}' is not in the label_dict", "add it to the label_dict JSON")
        return int(label_dict[name])
    return 0 if "real" in name.lower() else 1


def import_deepfakebench(
    json_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    label_dict: dict[str, int] | None = None,
) -> Path:
    """Write `out_dir/index.json` pointing at the JSON's frame files (no copies); returns its path."""
    json_path = Path(json_path)
    if not json_path.is_file():
        raise FaceswapError(
            f"DeepfakeBench JSON not found: {json_path}", "point to the dataset's JSON file", param="source_root"
        )
    if label_dict is None and json_path.with_suffix(".label_dict.json").is_file():
        label_dict = json.loads(json_path.with_suffix(".label_dict.json").read_text())
    samples = _samples(json.loads(json_path.read_text()), label_dict)
    if not samples:
        raise FaceswapError(f"{json_path} lists no frames", "check that it is a DeepfakeBench dataset JSON")
    data_root = Path(os.path.commonpath([rec["file"] for rec in samples]))
    data_root = data_root if data_root.is_dir() else data_root.parent
    for rec in samples:
        rec["file"] = os.path.relpath(rec["file"], data_root)
        rec["mask"] = os.path.relpath(rec["mask"], data_root) if rec["mask"] else None
    methods = {
        s["method"]: {"kind": "imported", "from": str(json_path), "family": s.get("family")}
        for s in samples
        if s["label"] == 1
    }
    return write_index(
        out_dir,
        samples,
        data_root=str(data_root),
        methods=methods,
        protocol={"split_rule": "as given by the DeepfakeBench JSON", "source": str(json_path)},
    )


def _samples(doc: dict[str, Any], label_dict: dict[str, int] | None) -> list[dict[str, Any]]:
    """One record per frame the JSON lists ({dataset: {label name: {split: videos}}}), with absolute paths."""
    samples = []
    for dataset, labels in doc.items():
        for name, splits in labels.items():
            label = _label_of(name, label_dict)
            for split, node in splits.items():
                for video, (comp, entry) in _videos(node).items():
                    masks = entry.get("masks") or []
                    for i, frame in enumerate(entry["frames"]):
                        samples.append(
                            {
                                "id": f"{name}/{video}/{i}",
                                "file": str(Path(frame).resolve()),
                                "label": label,
                                "method": "real" if label == 0 else name,
                                "video_id": f"{dataset}/{video}",
                                "frame_index": i,
                                "split": split,
                                "mask": str(Path(masks[i]).resolve()) if i < len(masks) else None,
                                "compression": comp,
                                "landmarks": None,
                                **({"family": entry["family"]} if entry.get("family") else {}),
                            }
                        )
    return samples
