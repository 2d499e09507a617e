"""`faceswap generate`: write a labelled real/fake crop dataset (`index.json` + PNGs) for detector research."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from faceswap.postprocess.pipeline import PostProcessor
from faceswap.provenance.label import label_output
from faceswap.swap.engine import SwapEngine
from faceswap.synth.builder import BuildOptions, Method, build_samples
from faceswap.synth.deepfakebench import import_deepfakebench
from faceswap.synth.ffpp import import_ffpp, read_ffpp
from faceswap.synth.index import index_path, read_index
from faceswap.synth.publish import Publisher
from faceswap.synth.targets import TargetFrame, faceset_targets, video_targets
from faceswap.synth.writer import DatasetWriter, safe_name
from faceswap.training.export import load_generator
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.hashing import file_sha256
from faceswap.utils.logging import console, print_summary, progress
from faceswap.utils.threads import use_threads


def resolve_checkpoint(g: DictConfig) -> Path:
    path = Path(str(g.checkpoint))
    if not path.is_file() and g.get("checkpoint_fallback") and Path(str(g.checkpoint_fallback)).is_file():
        console.print(f"[yellow]{path} not found[/], using {g.checkpoint_fallback}")
        path = Path(str(g.checkpoint_fallback))
    if not path.is_file():
        raise FaceswapError(
            f"generator checkpoint not found: {path}",
            "run `faceswap train` / `finetune` first or set generate.checkpoint",
        )
    return path


def method_name(g: DictConfig, post: DictConfig, meta: dict[str, Any], ckpt: Path) -> str:
    if g.get("method"):
        return str(g.method)
    arch = meta.get("model", {}).get("arch", "gen")
    return f"{arch}{meta['resolution']}-{post.color}-{post.blend}-{g.mask}-{ckpt.parent.name}"


def build_methods(cfg: DictConfig, identities: list[str]) -> list[Method]:
    g = cfg.generate
    ckpt = resolve_checkpoint(g)
    generator, meta = load_generator(ckpt, device=g.device)
    pair = list(meta["identities"])
    ckpt_hash = file_sha256(ckpt)
    variants = {None: {}, **(OmegaConf.to_container(g.variants, resolve=True) if g.variants else {})}  # type: ignore[dict-item]
    methods = []
    for variant, overrides in variants.items():
        post_cfg = OmegaConf.merge(cfg.postprocess, overrides or {})
        post: PostProcessor = instantiate(post_cfg)
        engines = {}
        for ident in identities:
            target = pair[1] if ident == pair[0] else pair[0]
            engines[ident] = SwapEngine.for_generator(
                generator,
                meta,
                target,
                postprocessor=post,
                mask=str(g.mask),
                batch_size=int(g.batch_size),
                device=str(g.device),
            )
        name = str(variant) if variant else method_name(g, post_cfg, meta, ckpt)
        record = {
            "checkpoint": str(ckpt),
            "checkpoint_sha256": ckpt_hash,
            "mask_mode": str(g.mask),
            "postprocess": OmegaConf.to_container(post_cfg, resolve=True),
            "generator": {k: meta.get(k) for k in ("resolution", "face_type", "padding", "identities", "model")},
        }
        methods.append(Method(name, engines, record))
    return methods


def make_labeler(cfg: DictConfig, methods: list[Method]) -> Callable[[Path, str, str], object]:
    """Label a published fake video like `faceswap swap` labels its outputs (C2PA + sidecar)."""
    checkpoints = {m.name: m.record["checkpoint"] for m in methods}

    def label(path: Path, method: str, media: str) -> object:
        facts = {"method": method, "purpose": "labelled synthetic dataset (faceswap generate)"}
        return label_output(
            path, config=cfg, checkpoint=checkpoints.get(method), inputs=[media], settings=cfg.provenance, facts=facts
        )

    return label


def target_frames(cfg: DictConfig, identities: list[str]) -> tuple[Iterator[TargetFrame], int, int | None]:
    """All target frames (identity by identity), the number of distinct media files and of frames (None when
    only decoding tells: targets=video)."""
    g = cfg.generate
    max_frames = int(g.max_frames) if g.max_frames else None
    if g.targets == "faceset":
        from faceswap.data.faceset import read_faceset

        frames: dict[tuple[str, str], set[int]] = {}
        for i in identities:
            for r in read_faceset(Path(g.faces_dir) / i, check_files=False):
                frames.setdefault((i, str(r["source"])), set()).add(int(r["frame_index"]))
        total = sum(len(sorted(f)[:: int(g.every)][:max_frames]) for f in frames.values())  # as faceset_targets
        gens = [faceset_targets(g.faces_dir, g.collect_dir, i, int(g.every), max_frames) for i in identities]
        return (tf for gen in gens for tf in gen), len(frames), total
    if g.targets == "video":
        detector, landmarker = instantiate(cfg.face_detector), instantiate(cfg.landmarks)
        videos = {i: list((g.videos or {}).get(i) or [Path(g.collect_dir) / i / "clip.mp4"]) for i in identities}
        gens = [
            video_targets(v, i, detector, landmarker, int(g.every), max_frames) for i, vs in videos.items() for v in vs
        ]
        return (tf for gen in gens for tf in gen), sum(len(v) for v in videos.values()), None
    raise ConfigError(f"generate.targets must be faceset or video, got {g.targets!r}", "set generate.targets=faceset")


def kept_records(out_dir: Path, crop_size: int, crop_scale: float, replaced: set[str]) -> tuple[list[dict], dict]:
    """Records of other methods already in out_dir (merge across runs / multirun jobs)."""
    if not index_path(out_dir).is_file():
        return [], {}
    try:
        doc = read_index(out_dir)
    except FaceswapError:
        return [], {}
    if doc.get("crop_size") != crop_size or doc.get("protocol", {}).get("crop_scale") != crop_scale:
        return [], {}
    keep = [r for r in doc["samples"] if r["label"] == 1 and r["method"] not in replaced]
    methods = {k: v for k, v in doc.get("methods", {}).items() if k not in replaced}
    return keep, methods


def largest_face_landmarks(cfg: DictConfig) -> Callable[[np.ndarray], np.ndarray | None]:
    detector, landmarker = instantiate(cfg.face_detector), instantiate(cfg.landmarks)

    def find(frame: np.ndarray) -> np.ndarray | None:
        boxes = detector(frame)
        if not boxes:
            return None
        box = max(boxes, key=lambda b: (b.x1 - b.x0) * (b.y1 - b.y0))
        return np.asarray(landmarker(frame, box), np.float32)

    return find


def import_dataset(cfg: DictConfig) -> dict[str, Any]:
    """generate.source=ffpp|deepfakebench: index an existing dataset instead of making fakes."""
    g = cfg.generate
    if not g.source_root:
        raise ConfigError(f"generate.source={g.source} needs generate.source_root", "set it to the dataset root / JSON")
    if g.source == "deepfakebench":
        index = import_deepfakebench(g.source_root, g.out_dir)
    elif g.source == "ffpp":
        videos = read_ffpp(g.source_root, str(g.compression), list(g.ffpp_methods) if g.ffpp_methods else None)
        finder = largest_face_landmarks(cfg) if g.detect_faces else None
        index = import_ffpp(
            videos,
            g.out_dir,
            int(g.frames_per_video),
            int(g.crop_size),
            float(g.crop_scale),
            finder,
            tuple(float(x) for x in g.split),
            int(g.seed),
        )
    else:
        raise ConfigError(f"unknown generate.source {g.source!r}", "choose pipeline, ffpp or deepfakebench")
    samples = read_index(index)["samples"]
    print_summary("generate (import)", {"index": index, "samples": len(samples)})
    return {"index": str(index), "samples": len(samples), "methods": sorted({r["method"] for r in samples})}


def finish_index(
    cfg: DictConfig,
    writer: DatasetWriter,
    methods: list[Method],
    kept_methods: dict,
    segment: int | None,
    n_media: int,
) -> Path:
    """Assign splits and write index.json with every method's settings and the split rule used."""
    g = cfg.generate
    method_meta = {**kept_methods, **{m.name: {"kind": "swap", **m.record} for m in methods}}
    if g.sbi:
        method_meta["sbi"] = {"kind": "self-blended", "reference": "Shiohara & Yamasaki, CVPR 2022"}
    rule = (
        f"pseudo-videos of {segment} frames (only {n_media} real videos)"
        if segment
        else "identity pair when several, else video"
    )
    protocol = {
        "split_rule": rule,
        "crop_scale": float(g.crop_scale),
        "landmarks": str(g.landmarks),
        "targets": str(g.targets),
    }
    return writer.finish(tuple(float(x) for x in g.split), int(g.seed), methods=method_meta, protocol=protocol)


def clear_outputs(out_dir: Path, methods: set[str] | None) -> None:
    """Remove files this run rewrites (reals + `methods`, or everything when None) so no stale crop remains."""
    if methods is None:
        folders = [out_dir / name for name in ("real", "fake", "masks", "published")]
    else:
        folders = [out_dir / "real"] + [
            out_dir / top / safe_name(m) for m in methods for top in ("fake", "masks", "published")
        ]
    for folder in folders:
        if folder.is_dir():
            shutil.rmtree(folder)


def run(cfg: DictConfig) -> dict[str, Any]:
    g = cfg.generate
    use_threads(g.get("threads"))
    if g.get("source", "pipeline") != "pipeline":
        return import_dataset(cfg)
    identities = list(g.identities or cfg.data.pair)
    methods = build_methods(cfg, identities)
    frames, n_media, total = target_frames(cfg, identities)
    segment = int(g.segment_frames) if g.segment_frames and n_media < int(g.min_videos) else None
    opts = BuildOptions(
        crop_size=int(g.crop_size),
        crop_scale=float(g.crop_scale),
        batch_size=int(g.batch_size),
        segment_frames=segment,
        sbi=bool(g.sbi),
        seed=int(g.seed),
    )
    out_dir = Path(str(g.out_dir))
    writer = DatasetWriter(out_dir, opts.crop_size)
    replaced = {m.name for m in methods} | ({"sbi"} if opts.sbi else set())
    kept, kept_methods = kept_records(out_dir, opts.crop_size, opts.crop_scale, replaced) if g.merge else ([], {})
    clear_outputs(out_dir, replaced if kept else None)
    landmarker = instantiate(cfg.landmarks) if g.landmarks == "redetect" else None
    publisher = Publisher(out_dir, make_labeler(cfg, methods)) if g.get("publish") else None
    try:
        todo = progress(frames, "generate", total=total)
        counts = build_samples(todo, methods, writer, opts, landmarker, publisher=publisher)
    finally:
        published = publisher.close() if publisher else []
    if not counts.get("real"):
        raise FaceswapError("no target frame with a face was found", "check generate.targets and the face sets")
    writer.records.extend(kept)
    index = finish_index(cfg, writer, methods, kept_methods, segment, n_media)
    print_summary(
        "generate",
        {
            "index": index,
            **{f"samples {k}": v for k, v in counts.items()},
            "kept from earlier runs": len(kept),
            "published videos": len(published),
        },
    )
    methods_all = sorted({r["method"] for r in writer.records if r["label"] == 1})
    return {"index": str(index), "samples": len(writer.records), "methods": methods_all}
