"""`faceswap generate`: write a labelled real/fake crop dataset (`index.json` + PNGs) for detector research."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from faceswap.commands.keys import translated
from faceswap.provenance.label import label_output
from faceswap.synth.builder import BuildOptions, build_samples
from faceswap.synth.deepfakebench import import_deepfakebench
from faceswap.synth.ffpp import import_ffpp, read_ffpp
from faceswap.synth.index import index_path, read_index
from faceswap.synth.methods import MANIPULATIONS, Context, Manipulation, MethodUnavailable, create_manipulation
from faceswap.synth.publish import Publisher
from faceswap.synth.targets import TargetFrame, faceset_targets, video_targets
from faceswap.synth.writer import DatasetWriter, safe_name
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.logging import console, print_summary, progress
from faceswap.utils.threads import use_threads


def build_methods(cfg: DictConfig, context: Context) -> tuple[list[Manipulation], dict[str, str]]:
    """One method per entry of generate.methods (+ its config's `variants`); returns (methods, skipped)."""
    group = cfg.get("manipulation") or {}
    methods: list[Manipulation] = []
    skipped: dict[str, str] = {}
    for family in cfg.generate.methods:
        MANIPULATIONS.get(str(family))  # a typo gets the list of registered names
        if family not in group:
            raise ConfigError(
                f"manipulation method '{family}' has no options in the manipulation group",
                f"add configs/manipulation/{family}.yaml and its name to the manipulation list in configs/base.yaml",
            )
        options = OmegaConf.to_container(group[family], resolve=True)
        variants = options.pop("variants", None) or {}  # type: ignore[union-attr]
        for variant, overrides in {None: {}, **variants}.items():
            merged = OmegaConf.to_container(OmegaConf.merge(options, overrides or {}), resolve=True)
            if variant:
                merged["method"] = str(variant)  # type: ignore[index]
            try:
                methods.append(create_manipulation(str(family), context=context, **merged))  # type: ignore[arg-type]
            except MethodUnavailable as exc:
                skipped[str(variant or family)] = str(exc)
                console.print(f"[yellow]skipping {variant or family}[/]: {exc} (manipulation.{family}.checkpoint)")
            except FaceswapError as exc:
                raise FaceswapError(f"{family}: {exc.problem}", f"{exc.fix} (manipulation.{family}.*)") from exc
    names = [m.name for m in methods]
    if len(names) != len(set(names)):
        raise ConfigError(f"two methods share a name: {sorted(names)}", "give variants distinct names")
    return methods, skipped


def make_labeler(cfg: DictConfig, methods: list[Manipulation]) -> Callable[[Path, str, str], object]:
    """Label a published fake video like `faceswap swap` labels its outputs (C2PA + sidecar)."""
    checkpoints = {m.name: m.record.get("checkpoint") for m in methods}

    def label(path: Path, method: str, media: str) -> object:
        facts = {"method": method, "purpose": "labelled synthetic dataset (faceswap generate)"}
        return label_output(
            path, config=cfg, checkpoint=checkpoints.get(method), inputs=[media], settings=cfg.provenance, facts=facts
        )

    return label


def identity_frames(cfg: DictConfig) -> Callable[[str, int | None], Iterator[TargetFrame]]:
    """frames_of(identity, max_per_video): one identity's frames with landmarks, from the same route as targets."""
    g = cfg.generate
    if g.targets == "faceset":
        return lambda ident, limit: faceset_targets(cfg.paths.faces_dir, cfg.paths.collect_dir, ident, 1, limit)
    if g.targets == "video":
        detector, landmarker = instantiate(cfg.face_detector), instantiate(cfg.landmarks)

        def tracked(ident: str, limit: int | None) -> Iterator[TargetFrame]:
            for video in identity_videos(cfg, ident):
                yield from video_targets(video, ident, detector, landmarker, 1, limit)

        return tracked
    raise ConfigError(f"generate.targets must be faceset or video, got {g.targets!r}", "set generate.targets=faceset")


def identity_videos(cfg: DictConfig, identity: str) -> list[Path]:
    g = cfg.generate
    return [
        Path(str(v)) for v in (g.videos or {}).get(identity) or [Path(cfg.paths.collect_dir) / identity / "clip.mp4"]
    ]


def target_frames(cfg: DictConfig, identities: list[str]) -> tuple[Iterator[TargetFrame], int, int | None]:
    """All target frames (identity by identity), the number of distinct media files and of frames (None when
    only decoding tells: targets=video)."""
    g = cfg.generate
    max_frames = int(g.max_frames) if g.max_frames else None
    if g.targets == "faceset":
        from faceswap.data.faceset import read_faceset

        frames: dict[tuple[str, str], set[int]] = {}
        for i in identities:
            for r in read_faceset(Path(cfg.paths.faces_dir) / i, check_files=False):
                frames.setdefault((i, str(r["source"])), set()).add(int(r["frame_index"]))
        total = sum(len(sorted(f)[:: int(g.every)][:max_frames]) for f in frames.values())  # as faceset_targets
        gens = [
            faceset_targets(cfg.paths.faces_dir, cfg.paths.collect_dir, i, int(g.every), max_frames) for i in identities
        ]
        return (tf for gen in gens for tf in gen), len(frames), total
    if g.targets == "video":
        detector, landmarker = instantiate(cfg.face_detector), instantiate(cfg.landmarks)
        videos = {i: identity_videos(cfg, i) for i in identities}
        gens = [
            video_targets(v, i, detector, landmarker, int(g.every), max_frames) for i, vs in videos.items() for v in vs
        ]
        return (tf for gen in gens for tf in gen), sum(len(v) for v in videos.values()), None
    raise ConfigError(f"generate.targets must be faceset or video, got {g.targets!r}", "set generate.targets=faceset")


def kept_records(
    out_dir: Path, crop_size: int, crop_scale: float, replaced: set[str], merge: bool
) -> tuple[list[dict], dict]:
    """Records of other methods already in out_dir (merge across runs / multirun jobs).

    Refuses, with the data left untouched, whenever going on would drop data of earlier runs: an index it
    cannot read, crops of another size or scale, or other methods with merge off. generate.overwrite=true
    (handled by the caller) is the explicit way to replace them."""
    path = index_path(out_dir)
    if not path.is_file():
        return [], {}
    fix = "set another paths.synthetic_dir, or generate.overwrite=true to replace what is there"
    try:
        doc = read_index(out_dir)
    except FaceswapError as exc:
        raise FaceswapError(f"cannot merge with the earlier dataset in {out_dir}: {exc.problem}", fix) from exc
    size, scale = doc.get("crop_size"), doc.get("protocol", {}).get("crop_scale")
    if size != crop_size or scale != crop_scale:
        raise FaceswapError(
            f"{out_dir} holds {size} px crops at scale {scale}; this run makes {crop_size} px at {crop_scale}", fix
        )
    others = {r["method"] for r in doc["samples"] if r["label"] == 1} - replaced
    if others and not merge:
        raise FaceswapError(f"generate.merge=false would delete methods {sorted(others)} in {out_dir}", fix)
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
        index = import_deepfakebench(g.source_root, cfg.paths.synthetic_dir)
    elif g.source == "ffpp":
        videos = read_ffpp(g.source_root, str(g.compression), list(g.ffpp_methods) if g.ffpp_methods else None)
        finder = largest_face_landmarks(cfg) if g.detect_faces else None
        index = import_ffpp(
            videos,
            cfg.paths.synthetic_dir,
            int(g.frames_per_video),
            int(g.crop_size),
            float(g.crop_scale),
            finder,
            tuple(float(x) for x in g.split),
            int(cfg.seed),
        )
    else:
        raise ConfigError(f"unknown generate.source {g.source!r}", "choose pipeline, ffpp or deepfakebench")
    samples = read_index(index)["samples"]
    print_summary("generate (import)", {"index": index, "samples": len(samples)})
    return {"index": str(index), "samples": len(samples), "methods": sorted({r["method"] for r in samples})}


def finish_index(
    cfg: DictConfig,
    writer: DatasetWriter,
    methods: list[Manipulation],
    kept_methods: dict,
    segment: int | None,
    n_media: int,
) -> Path:
    """Assign splits and write index.json with every method's settings and the split rule used."""
    g = cfg.generate
    method_meta = {**kept_methods, **{m.name: m.describe() for m in methods}}
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
    return writer.finish(tuple(float(x) for x in g.split), int(cfg.seed), methods=method_meta, protocol=protocol)


def clear_outputs(out_dir: Path, methods: set[str] | None) -> None:
    """Remove files this run rewrites (reals + `methods`, or everything when None) so no stale crop remains."""
    if methods is None:
        folders = [out_dir / name for name in ("real", "fake", "masks", "published")]
        if any(f.is_dir() for f in folders):
            why = (
                "replacing" if index_path(out_dir).is_file() else "removing unindexed leftovers of an interrupted run:"
            )
            console.print(f"[yellow]generate: {why} {', '.join(f.name for f in folders if f.is_dir())} in {out_dir}[/]")
    else:
        folders = [out_dir / "real"] + [
            out_dir / top / safe_name(m) for m in methods for top in ("fake", "masks", "published")
        ]
    for folder in folders:
        if folder.is_dir():
            shutil.rmtree(folder)


@translated("generate")
def run(cfg: DictConfig) -> dict[str, Any]:
    g = cfg.generate
    use_threads(g.get("threads"))
    if g.get("source", "pipeline") != "pipeline":
        return import_dataset(cfg)
    identities = [str(i) for i in (g.identities or cfg.data.pair)]
    context = Context(identities, identity_frames(cfg), str(g.device), int(g.batch_size), int(cfg.seed))
    methods, skipped = build_methods(cfg, context)
    frames, n_media, total = target_frames(cfg, identities)
    segment = int(g.segment_frames) if g.segment_frames and n_media < int(g.min_videos) else None
    opts = BuildOptions(
        crop_size=int(g.crop_size),
        crop_scale=float(g.crop_scale),
        batch_size=int(g.batch_size),
        segment_frames=segment,
        seed=int(cfg.seed),
    )
    out_dir = Path(str(cfg.paths.synthetic_dir))
    writer = DatasetWriter(out_dir, opts.crop_size)
    replaced = {m.name for m in methods}
    overwrite = bool(g.get("overwrite", False))
    kept, kept_methods = (
        ([], {}) if overwrite else kept_records(out_dir, opts.crop_size, opts.crop_scale, replaced, bool(g.merge))
    )
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
            **{f"skipped {k}": v for k, v in skipped.items()},
            "kept from earlier runs": len(kept),
            "published videos": len(published),
        },
    )
    methods_all = sorted({r["method"] for r in writer.records if r["label"] == 1})
    return {"index": str(index), "samples": len(writer.records), "methods": methods_all, "skipped": skipped}
