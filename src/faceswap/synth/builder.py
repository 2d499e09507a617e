"""Build a labelled real/fake crop set from target frames: reals, one fake per method, self-blends.

Every sample of one frame shares the crop matrix (`crops.crop_matrix`), so the real crop, each fake
crop and its blend mask line up pixel for pixel. Library code: the stage passes engines and settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from faceswap.face.detect import FaceBox
from faceswap.swap.engine import SwapEngine
from faceswap.synth.crops import crop_box, crop_matrix, warp_image, warp_mask, warp_points
from faceswap.synth.fakes import swap_with_masks
from faceswap.synth.publish import Publisher
from faceswap.synth.sbi import self_blend
from faceswap.synth.targets import TargetFrame
from faceswap.synth.writer import DatasetWriter

MIN_MASK = 0.05  # a fake whose blend mask never exceeds this changed (almost) nothing
Landmarker = Callable[[np.ndarray, FaceBox], np.ndarray]


@dataclass
class Method:
    """One fake-making configuration: an engine per target identity plus what to record about it."""

    name: str
    engines: dict[str, SwapEngine]  # target identity of the frame -> engine swapping it into the other identity
    record: dict[str, Any] = field(default_factory=dict)  # checkpoint, hash, post-processing, mask, model


@dataclass
class BuildOptions:
    crop_size: int = 128
    crop_scale: float = 1.3
    batch_size: int = 8
    segment_frames: int | None = None  # pseudo-video length when too few real videos exist
    sbi: bool = True
    write_reals: bool = True
    seed: int = 0


def _batches(frames: Iterable[TargetFrame], size: int) -> Iterator[list[TargetFrame]]:
    it = iter(frames)
    while chunk := list(islice(it, size)):
        yield chunk


def crop_landmarks(crop: np.ndarray, fallback: np.ndarray, landmarker: Landmarker | None) -> np.ndarray:
    """Landmarks as a detector sees the crop: re-fitted on the crop when a landmarker is given."""
    if landmarker is None:
        return fallback
    lo, hi = fallback.min(axis=0), fallback.max(axis=0)
    return np.asarray(landmarker(crop, FaceBox(float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))), np.float32)


def build_samples(
    frames: Iterable[TargetFrame],
    methods: list[Method],
    writer: DatasetWriter,
    opts: BuildOptions,
    landmarker: Landmarker | None = None,
    on_frame: Callable[[int], None] | None = None,
    publisher: Publisher | None = None,
) -> dict[str, int]:
    """Write every sample of `frames`; returns counts per method. With a publisher, each method's swapped
    frames are also written as labelled videos and fakes record them as `published`."""
    rng = np.random.default_rng(opts.seed)
    counts: dict[str, int] = {}
    for chunk in _batches(frames, opts.batch_size):
        fakes = {m.name: _swap(m, chunk) for m in methods}
        for i, tf in enumerate(chunk):
            for name, n in _write_frame(tf, i, fakes, methods, writer, opts, landmarker, rng, publisher).items():
                counts[name] = counts.get(name, 0) + n
        if on_frame:
            on_frame(len(chunk))
    return counts


def _swap(method: Method, chunk: list[TargetFrame]) -> list[Any]:
    out: list[Any] = [None] * len(chunk)
    for identity in {tf.identity for tf in chunk}:
        engine = method.engines.get(identity)
        if engine is None:
            continue
        idx = [i for i, tf in enumerate(chunk) if tf.identity == identity]
        for i, fake in zip(
            idx, swap_with_masks(engine, [chunk[i].image for i in idx], [chunk[i].landmarks for i in idx]), strict=True
        ):
            out[i] = fake
    return out


def _common_fields(tf: TargetFrame, matrix: np.ndarray, lm_src: np.ndarray, opts: BuildOptions) -> dict[str, Any]:
    """Record fields shared by the real and every fake of one frame."""
    segment = opts.segment_frames
    return {
        "video_id": tf.video_id if not segment else f"{tf.video_id}#s{tf.frame_index // segment:03d}",
        "source_video": tf.video_id,
        "frame_index": tf.frame_index,
        "timestamp": round(float(tf.timestamp), 4),
        "target_identity": tf.identity,
        "media": tf.media,
        "has_audio": tf.has_audio,
        "crop_box": crop_box(matrix, opts.crop_size),
        "crop_scale": opts.crop_scale,
        "landmarks_source": np.round(lm_src, 2).tolist(),
    }


def _write_frame(
    tf: TargetFrame,
    i: int,
    fakes: dict[str, list[Any]],
    methods: list[Method],
    writer: DatasetWriter,
    opts: BuildOptions,
    landmarker: Landmarker | None,
    rng: np.random.Generator,
    publisher: Publisher | None = None,
) -> dict[str, int]:
    size = opts.crop_size
    matrix = crop_matrix(tf.landmarks, size, opts.crop_scale)
    lm_src = warp_points(tf.landmarks, matrix)
    common = _common_fields(tf, matrix, lm_src, opts)
    counts: dict[str, int] = {}
    real = warp_image(tf.image, matrix, size)
    lm_real = crop_landmarks(real, lm_src, landmarker)
    if opts.write_reals:
        writer.add(
            real, label=0, method="real", landmarks=lm_real, source_identity=tf.identity, published=tf.media, **common
        )
        counts["real"] = 1
    for method in methods:
        fake = fakes[method.name][i]
        if fake is None or float(fake.mask.max()) < MIN_MASK:
            counts[f"{method.name} (empty mask, skipped)"] = 1  # nothing was pasted: not a fake
            continue
        crop = warp_image(fake.image, matrix, size)
        published = publisher.write(method.name, tf, fake.image) if publisher else None
        writer.add(
            crop,
            label=1,
            method=method.name,
            mask=warp_mask(fake.mask, matrix, size),
            landmarks=crop_landmarks(crop, lm_src, landmarker),
            source_identity=method.engines[tf.identity].target,
            **{**common, **method.record, "published": published},
        )
        counts[method.name] = 1
    if opts.sbi:
        blended, mask = self_blend(real, lm_real, rng)
        writer.add(
            blended,
            label=1,
            method="sbi",
            mask=mask,
            landmarks=crop_landmarks(blended, lm_src, landmarker),  # as for every fake: refit or source points
            source_identity=tf.identity,
            **common,
            postprocess={"kind": "self-blended image"},
        )
        counts["sbi"] = 1
    return counts
