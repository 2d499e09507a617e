"""FaceForensics++ on-disk layout: read it (to benchmark on FF++) and write it (to hand our data to FF++ tools).

`original_sequences/youtube/<comp>/videos/<target>.mp4` are reals; `manipulated_sequences/<Method>/<comp>/
videos/<target>_<source>.mp4` are fakes of the target video with the source's face. Official splits are
`{train,val,test}.json` lists of `[id, id]` pairs at the root (or in `splits/`); without them, splits are
assigned here by identity pair.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.media.video import VideoWriter, probe, read_video
from faceswap.synth.crops import crop_matrix, warp_image, warp_points
from faceswap.synth.index import data_root, read_index, read_rgb
from faceswap.synth.writer import DatasetWriter
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json, safe_join

SPLIT_FILES = ("train", "val", "test")
METHODS_FILE = "faceswap_methods.json"  # written by export_ffpp: manipulation folder -> family
#: the official FF++ manipulations and the `faceswap generate` family each one corresponds to
FFPP_FAMILIES = {"Deepfakes": "ae_swap", "FaceSwap": "mesh_swap", "Face2Face": "reenact", "NeuralTextures": "mouth"}


@dataclass(frozen=True)
class FFVideo:
    path: Path
    label: int
    method: str  # "real" or the manipulation folder name
    target: str  # id of the video whose frames are shown
    source: str  # id of the face put in (== target for reals)
    compression: str
    split: str | None  # from the official split files, when present
    family: str | None = None  # manipulation family (faceswap_methods.json, else FFPP_FAMILIES); "real" for reals


def read_split_files(root: Path) -> dict[str, str]:
    """id, or 'a_b' pair name -> split, from `{train,val,test}.json` at the root or in `splits/`."""
    pairs: list[tuple[str, str, str]] = []
    for folder in (root, root / "splits"):
        for split in SPLIT_FILES:
            path = folder / f"{split}.json"
            if path.is_file():
                pairs += [(str(a), str(b), split) for a, b in json.loads(path.read_text())]
    # a listed [target, source] names its own video; the reverse only fills in (official FF++ lists one order)
    mapping = {f"{b}_{a}": s for a, b, s in pairs} | {f"{a}_{b}": s for a, b, s in pairs}
    for a, b, split in sorted(pairs, key=lambda p: p[0] != p[1]):  # (id, id) entries name a real's split first
        mapping.setdefault(a, split)
        mapping.setdefault(b, split)
    return mapping


def read_ffpp(
    root: str | os.PathLike[str], compression: str = "c23", methods: list[str] | None = None
) -> list[FFVideo]:
    """Every real and fake video of one compression level (methods: subset of manipulation folders)."""
    root = Path(root)
    real_dir = root / "original_sequences" / "youtube" / compression / "videos"
    if not real_dir.is_dir():
        raise FaceswapError(
            f"no FaceForensics++ originals at {real_dir}",
            "point to the FF++ root and choose its compression (raw/c23/c40)",
            param="source_root",
        )
    splits = read_split_files(root)
    families = {
        **FFPP_FAMILIES,
        **(json.loads((root / METHODS_FILE).read_text()) if (root / METHODS_FILE).is_file() else {}),
    }
    videos = [
        FFVideo(p, 0, "real", p.stem, p.stem, compression, splits.get(p.stem), "real")
        for p in sorted(real_dir.glob("*.mp4"))
    ]
    manip = root / "manipulated_sequences"
    for method_dir in sorted(manip.iterdir()) if manip.is_dir() else []:
        if methods is not None and method_dir.name not in methods:
            continue
        for p in sorted((method_dir / compression / "videos").glob("*.mp4")):
            target, _, source = p.stem.partition("_")
            family = families.get(method_dir.name)
            videos.append(
                FFVideo(p, 1, method_dir.name, target, source or target, compression, splits.get(p.stem), family)
            )
    return videos


def _ff_ids(records: list[dict[str, Any]]) -> dict[str, str]:
    """Our real video ids -> FF++ style 3-digit ids, in sorted order."""
    reals = sorted({r["video_id"] for r in records if r["label"] == 0})
    return {v: f"{i:03d}" for i, v in enumerate(reals)}


def export_ffpp(
    index_root: str | os.PathLike[str],
    out_root: str | os.PathLike[str],
    compression: str = "raw",
    fps: float = 25.0,
    crf: int = 0,
) -> Path:
    """Write each video's crops as an FF++-style mp4 (frame order), one manipulation folder per method, split
    files, an id map and each method's family (`faceswap_methods.json`); returns out_root."""
    doc = read_index(index_root)
    src_root = data_root(doc, index_root)
    ids = _ff_ids(doc["samples"])
    groups: dict[Path, list[dict[str, Any]]] = defaultdict(list)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    first_video_of = {}
    for r in sorted(doc["samples"], key=lambda r: r["video_id"]):
        if r["label"] == 0:
            ident = r.get("target_identity") or r["video_id"]
            first_video_of.setdefault((ident, r["split"]), ids[r["video_id"]])
            first_video_of.setdefault((ident, None), ids[r["video_id"]])
    out_root = Path(out_root)
    for r in doc["samples"]:
        target = ids.get(r["video_id"])
        if target is None:
            raise FaceswapError(
                f"fake video {r['video_id']} has no real counterpart", "export needs the real videos too"
            )
        if r["label"] == 0:
            path = out_root / "original_sequences" / "youtube" / compression / "videos" / f"{target}.mp4"
            source = target
        else:
            # the source person's first real video of the same split, so no FF++ pair spans two splits
            ident = r.get("source_identity")
            source = first_video_of.get((ident, r["split"])) or first_video_of.get((ident, None), target)
            path = out_root / "manipulated_sequences" / r["method"] / compression / "videos" / f"{target}_{source}.mp4"
        groups[path].append(r)
        pairs[r["split"]].add((target, source))
    for path, recs in groups.items():
        with VideoWriter(path, fps=fps, crf=crf) as writer:
            for r in sorted(recs, key=lambda r: r["frame_index"]):
                writer.write(read_rgb(safe_join(src_root, r["file"])))
    for split in SPLIT_FILES:
        atomic_write_json(out_root / f"{split}.json", sorted([list(p) for p in pairs.get(split, set())]))
    atomic_write_json(out_root / "faceswap_ids.json", ids)
    families = {r["method"]: r.get("family") or r["method"] for r in doc["samples"] if r["label"] == 1}
    atomic_write_json(out_root / METHODS_FILE, families)
    return out_root


def import_ffpp(
    videos: list[FFVideo],
    out_dir: str | os.PathLike[str],
    frames_per_video: int = 32,
    crop_size: int = 128,
    crop_scale: float = 1.3,
    face_landmarks: Callable[[np.ndarray], np.ndarray | None] | None = None,
    fractions: tuple[float, ...] = (0.7, 0.15, 0.15),
    seed: int = 0,
) -> Path:
    """Crop `frames_per_video` evenly spaced frames of each video into a labelled index (DeepfakeBench protocol).

    face_landmarks(frame) -> [68,2] or None: crops 1.3x around the face; None = frames already are face crops.
    Official FF++ splits are kept when every video has one; otherwise splits are assigned by identity pair.
    """
    writer = DatasetWriter(out_dir, crop_size)
    for video in videos:
        _add_video(writer, video, frames_per_video, crop_size, crop_scale, face_landmarks)
    preset = all(v.split for v in videos)
    methods = {
        v.method: {"kind": "imported", "from": "FaceForensics++", "family": v.family} for v in videos if v.label == 1
    }
    rule = "official FF++ split files" if preset else "identity pair when several, else video"
    return writer.finish(
        fractions,
        seed,
        keep_splits=preset,
        methods=methods,
        protocol={
            "split_rule": rule,
            "frames_per_video": frames_per_video,
            "crop_scale": crop_scale,
            "source": "FaceForensics++",
        },
    )


def _add_video(
    writer: DatasetWriter,
    video: FFVideo,
    frames_per_video: int,
    crop_size: int,
    crop_scale: float,
    face_landmarks: Callable[[np.ndarray], np.ndarray | None] | None,
) -> None:
    """`frames_per_video` evenly spaced frames of one video, cropped and added with its labels."""
    info = probe(video.path)
    wanted = set(np.linspace(0, max(info.frames - 1, 0), frames_per_video).round().astype(int).tolist())
    for vf in read_video(video.path, indices=wanted):
        crop, lm = _face_crop(vf.image, crop_size, crop_scale, face_landmarks)
        if crop is None:
            continue
        writer.add(
            crop,
            label=video.label,
            method=video.method,
            video_id=video.target,
            frame_index=vf.index,
            landmarks=lm,
            source_identity=video.source,
            target_identity=video.target,
            timestamp=round(vf.time, 4),
            media=str(video.path),
            has_audio=info.has_audio,
            compression=video.compression,
            split=video.split,
            **({"family": video.family} if video.family else {}),
        )


def _face_crop(
    frame: np.ndarray, size: int, scale: float, face_landmarks: Callable[[np.ndarray], np.ndarray | None] | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if face_landmarks is None:
        return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA), None
    lm = face_landmarks(frame)
    if lm is None:
        return None, None
    matrix = crop_matrix(lm, size, scale)
    return warp_image(frame, matrix, size), warp_points(lm, matrix)
