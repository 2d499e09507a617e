"""`faceswap preprocess`: collected frames -> `faces/<identity>/` (aligned crops, masks, manifest, summary).

Composes the detector, landmarker, tracker settings and filters from config and runs
`faceswap.data.preprocess_job.run_job` per identity. Up-to-date identities are skipped; an interrupted run
resumes; `shard=i/n` processes one shard and `merge=true` combines shard outputs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from faceswap.commands.collect import selected_identities
from faceswap.commands.keys import translate_errors, translated
from faceswap.data.faceset import read_faceset, read_summary
from faceswap.data.preprocess_job import JobSettings, parse_shard, run_job
from faceswap.data.shards import merge_shards, shard_dir
from faceswap.face.detect import FaceDetector, create_face_detector
from faceswap.face.extract import FaceExtractor, IdentityMatcher
from faceswap.face.filters import FaceFilters
from faceswap.face.landmarks import Landmarker, create_landmarker
from faceswap.face.refine import RefinedLandmarker
from faceswap.utils.errors import ConfigError, FaceswapError, NoFaceError
from faceswap.utils.hashing import config_hash, file_sha256
from faceswap.utils.logging import console, print_summary, progress_bar
from faceswap.utils.threads import auto_workers, use_threads

DEFAULTS = {"face_detector": "dlib_hog", "landmarks": "dlib68"}  # offline, shipped with dlib


def build_backend(section: DictConfig, build: Any) -> Any:
    """A detector/landmarker from its config group (`name` + options; `_target_` when it names another factory).

    Our builders are called directly so a FaceswapError (e.g. missing weights) reaches the CLI as one line
    instead of being wrapped by Hydra's InstantiationException; it names the group (`face_detector=dlib_hog`)."""
    opts = OmegaConf.to_container(section, resolve=True)
    assert isinstance(opts, dict)
    target = opts.pop("_target_", None)
    if target is not None and not str(target).endswith((".create_face_detector", ".create_landmarker")):
        return instantiate(section)
    group = "face_detector" if build is create_face_detector else "landmarks"
    if "name" not in opts:
        raise ConfigError(f"the {group} config has no 'name'", f"set e.g. {group}.name={DEFAULTS[group]}")
    with translate_errors("preprocess"):
        return build(opts.pop("name"), **opts)


def backend_spec(section: DictConfig) -> dict[str, Any]:
    """Plain options (with `name`) that rebuild a backend inside a worker process."""
    opts = OmegaConf.to_container(section, resolve=True)
    assert isinstance(opts, dict)
    opts.pop("_target_", None)
    return opts


def landmarks_spec(cfg: DictConfig) -> dict[str, Any]:
    spec = backend_spec(cfg.landmarks)
    if cfg.preprocess.refine:
        spec["refine_size"] = int(cfg.preprocess.get("refine_size", 256))
    return spec


def reference_descriptors(photos: list[str], detector: FaceDetector, landmarker: Landmarker) -> list[np.ndarray]:
    """Descriptor of the largest face in each reference photo (a path or a sample photo name)."""
    from faceswap.data.sample_clip import sample_photo_path
    from faceswap.face.identity import face_descriptor
    from faceswap.media.image import read_image

    out = []
    for photo in photos:
        image = read_image(sample_photo_path(photo))
        boxes = sorted(detector(image), key=lambda b: -b.size)
        if not boxes:
            raise NoFaceError(f"no face found in reference photo {photo}", "use a photo with one clear, frontal face")
        out.append(face_descriptor(image, landmarker(image, boxes[0])))
    return out


def command_hash(cfg: DictConfig) -> str:
    """Hash of everything that changes the faces written (not paths, sharding or force)."""
    opts = OmegaConf.to_container(cfg.preprocess, resolve=True)
    assert isinstance(opts, dict)
    for key in ("identities", "shard", "merge", "force", "enabled", "threads"):
        opts.pop(key, None)
    opts["workers"] = preprocess_workers(cfg)  # the count in use: `null` (auto) hashes as what it resolved to
    return config_hash(
        {
            "preprocess": opts,
            "detect": OmegaConf.to_container(cfg.face_detector, resolve=True),
            "landmarks": OmegaConf.to_container(cfg.landmarks, resolve=True),
        }
    )


def preprocess_workers(cfg: DictConfig) -> int:
    """`preprocess.workers`, with null/0 resolved by the machine's CPUs (faceswap.utils.threads)."""
    requested = cfg.preprocess.get("workers")
    return auto_workers(int(requested) if requested is not None else None, "process")


def make_extractor(cfg: DictConfig, identity: str, detector: FaceDetector, landmarker: Landmarker) -> FaceExtractor:
    p = cfg.preprocess
    filters = FaceFilters(**OmegaConf.to_container(p.filters, resolve=True))
    refs = list((p.identity.references or {}).get(identity, []) or [])
    matcher = IdentityMatcher(reference_descriptors(refs, detector, landmarker), p.identity.every) if refs else None
    return FaceExtractor(
        size=int(p.size),
        face_type=str(p.face_type),
        padding=float(p.padding),
        max_faces=int(p.max_faces),
        filters=filters,
        identity=matcher,
    )


@translated("preprocess")
def run(cfg: DictConfig) -> dict[str, Any]:
    p = cfg.preprocess
    if int(p.size) < 16 or int(p.size) > 2048:
        raise ConfigError(f"preprocess.size={p.size} is out of range", "use 64..1024 (128 is the default)")
    identities = selected_identities(cfg, p.get("identities"))
    collect_dir, faces_dir = Path(cfg.paths.collect_dir), Path(cfg.paths.faces_dir)
    if p.get("merge"):
        return _merge(identities, faces_dir)
    shard = parse_shard(p.get("shard"))
    start = time.perf_counter()
    workers = preprocess_workers(cfg)  # with 1, detection runs in this process: no core is taken away
    use_threads(p.get("threads"), workers if workers > 1 else 0, busy_workers=True)
    detector = build_backend(cfg.face_detector, create_face_detector)
    landmarker = build_backend(cfg.landmarks, create_landmarker)
    if cfg.preprocess.refine:
        landmarker = RefinedLandmarker(landmarker, int(cfg.preprocess.get("refine_size", 256)))
    chash = command_hash(cfg)
    results: dict[str, dict[str, Any]] = {}
    for identity in identities:
        results[identity] = _one(cfg, identity, collect_dir / identity, faces_dir, shard, chash, detector, landmarker)
    if cfg.get("sort") is not None and cfg.sort.get("by") and shard is None:
        from faceswap.commands.sort import sort_identities

        for identity, count in sort_identities(cfg, identities).items():
            results[identity]["faces_after_sort"] = count
    return _report(results, faces_dir, time.perf_counter() - start)


def _one(
    cfg: DictConfig,
    identity: str,
    collect_id: Path,
    faces_dir: Path,
    shard: tuple[int, int] | None,
    chash: str,
    detector: FaceDetector,
    landmarker: Landmarker,
) -> dict[str, Any]:
    p = cfg.preprocess
    manifest = collect_id / "manifest.jsonl"
    collected = file_sha256(manifest) if manifest.is_file() else "missing"
    fingerprint = config_hash({"config": chash, "collected": collected, "shard": list(shard) if shard else None})
    out_dir = shard_dir(faces_dir / identity, shard)
    previous = read_summary(out_dir)
    if not p.force and previous and previous.get("fingerprint") == fingerprint and faceset_intact(out_dir):
        previous["up_to_date"] = True
        return previous
    smoothing = OmegaConf.to_container(p.track.smoothing, resolve=True) if p.track.smoothing else None
    settings = JobSettings(
        identity=identity,
        collect_dir=collect_id,
        out_dir=out_dir,
        fingerprint=fingerprint,
        config_hash=chash,
        detect_every=int(p.track.detect_every),
        smoothing=smoothing,
        png_compression=int(p.png_compression),
        shard=shard,
        workers=preprocess_workers(cfg),
        backend_specs=(backend_spec(cfg.face_detector), landmarks_spec(cfg)),
        extra={"face_type": str(p.face_type), "size": int(p.size), "padding": float(p.padding)},
    )
    extractor = make_extractor(cfg, identity, detector, landmarker)
    total = len(manifest.read_text(encoding="utf-8").splitlines()) if manifest.is_file() else None
    with progress_bar(f"preprocess {identity}", total) as advance:
        return run_job(settings, detector, landmarker, extractor, on_frame=advance)


def faceset_intact(folder: Path) -> bool:
    """The manifest exists and every crop it lists is on disk (a deleted crop means: redo)."""
    try:
        read_faceset(folder)
    except FaceswapError:
        return False
    return True


def _merge(identities: list[str], faces_dir: Path) -> dict[str, Any]:
    counts = {identity: merge_shards(faces_dir / identity) for identity in identities}
    print_summary("preprocess merge", {f"{k} faces": v for k, v in counts.items()} | {"output": str(faces_dir)})
    return {"faces": sum(counts.values()), "identities": len(counts)}


def _report(results: dict[str, dict[str, Any]], faces_dir: Path, seconds: float) -> dict[str, Any]:
    rows: dict[str, object] = {}
    for identity, s in results.items():
        state = " (up to date)" if s.get("up_to_date") else ""
        rows[f"{identity}"] = f"{s['faces']} faces from {s['frames']} frames{state}"
        if s.get("dropped"):
            rows[f"{identity} dropped"] = ", ".join(f"{k}={v}" for k, v in s["dropped"].items())
        if s.get("jitter_raw") is not None:
            rows[f"{identity} jitter %IOD"] = f"{s['jitter_raw']:.2f} raw -> {s['jitter_smoothed']:.2f} smoothed"
    rows["output"] = str(faces_dir)
    rows["seconds"] = round(seconds, 1)
    print_summary("preprocess", rows)
    console.print()
    return {
        "faces": sum(s["faces"] for s in results.values()),
        "dropped": sum(s.get("dropped_total", 0) for s in results.values()),
        "identities": len(results),
        "seconds": round(seconds, 2),
    }
