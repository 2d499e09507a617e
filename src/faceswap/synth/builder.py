"""Build a labelled real/fake crop set from target frames: reals and one fake per manipulation method.

Every sample of one frame shares the crop matrix (`crops.crop_matrix`), so the real crop, each fake
crop and its blend mask line up pixel for pixel. Frame-space methods return whole frames and masks that
are cropped here (and optionally published as videos); crop-space methods (`sbi`) work on the real crop.
Library code: the command builds the methods (`faceswap.synth.methods.create_manipulation`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from faceswap.face.detect import FaceBox
from faceswap.synth.crops import crop_box, crop_matrix, warp_image, warp_mask, warp_points
from faceswap.synth.methods.base import Fake, Manipulation
from faceswap.synth.publish import Publisher
from faceswap.synth.targets import TargetFrame
from faceswap.synth.writer import DatasetWriter

MIN_MASK = 0.05  # a fake whose blend mask never exceeds this changed (almost) nothing
Landmarker = Callable[[np.ndarray, FaceBox], np.ndarray]


@dataclass
class BuildOptions:
    crop_size: int = 128
    crop_scale: float = 1.3
    batch_size: int = 8
    segment_frames: int | None = None  # pseudo-video length when too few real videos exist
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
    methods: list[Manipulation],
    writer: DatasetWriter,
    opts: BuildOptions,
    landmarker: Landmarker | None = None,
    on_frame: Callable[[int], None] | None = None,
    publisher: Publisher | None = None,
) -> dict[str, int]:
    """Write every sample of `frames`; returns counts per method. With a publisher, each frame-space method's
    fake frames are also written as labelled videos and fakes record them as `published`."""
    rng = np.random.default_rng(opts.seed)
    counts: dict[str, int] = {}

    def write_chunk(chunk: list[TargetFrame], fakes: dict[str, list[Fake | None]]) -> None:
        for i, tf in enumerate(chunk):
            for name, n in _write_frame(tf, i, fakes, methods, writer, opts, landmarker, rng, publisher).items():
                counts[name] = counts.get(name, 0) + n

    # One chunk is cropped, written and published (PNG, x264, crop-space methods, landmark refits) on a
    # second thread while the next one is decoded and manipulated: a single writer keeps the order, the rng
    # draws and the records as they were; both halves spend most of their time outside the GIL.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate-writer") as pool:
        pending: Future[None] | None = None
        for chunk in _batches(frames, opts.batch_size):
            fakes = {m.name: m.fake_frames(chunk) for m in methods if m.space == "frame"}
            if pending is not None:
                pending.result()
            pending = pool.submit(write_chunk, chunk, fakes)
            if on_frame:
                on_frame(len(chunk))
        if pending is not None:
            pending.result()
    return counts


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
    fakes: dict[str, list[Fake | None]],
    methods: list[Manipulation],
    writer: DatasetWriter,
    opts: BuildOptions,
    landmarker: Landmarker | None,
    rng: np.random.Generator,
    publisher: Publisher | None = None,
) -> dict[str, int]:
    size = opts.crop_size
    matrix = crop_matrix(tf.landmarks, size, opts.crop_scale)  # [2,3] frame -> crop
    lm_src = warp_points(tf.landmarks, matrix)
    common = _common_fields(tf, matrix, lm_src, opts)
    counts: dict[str, int] = {}
    real = warp_image(tf.image, matrix, size)
    lm_real = crop_landmarks(real, lm_src, landmarker)
    if opts.write_reals:
        writer.add(
            real,
            label=0,
            method="real",
            family="real",
            landmarks=lm_real,
            source_identity=tf.identity,
            published=tf.media,
            **common,
        )
        counts["real"] = 1
    for method in methods:
        if method.space == "crop":
            image, mask = method.fake_crop(real, lm_real, rng)
            # landmarks as for every fake: refit on the crop (generate.landmarks=redetect) or the source points
            fake_fields = {
                "mask": mask,
                "landmarks": crop_landmarks(image, lm_src, landmarker),
                "source_identity": tf.identity,
            }
            counts[method.name] = _add_fake(writer, method, image, fake_fields, common)
            continue
        fake = fakes[method.name][i]
        if fake is None or float(fake.frame.mask.max()) < MIN_MASK:
            counts[f"{method.name} (empty mask, skipped)"] = 1  # nothing was changed: not a fake
            continue
        crop, fake_fields = _frame_fake_crop(tf, fake, method, matrix, lm_src, opts, landmarker, publisher)
        counts[method.name] = _add_fake(writer, method, crop, fake_fields, common)
    return counts


def _frame_fake_crop(
    tf: TargetFrame,
    fake: Fake,
    method: Manipulation,
    matrix: np.ndarray,  # [2,3] frame -> crop
    lm_src: np.ndarray,  # [68,2] the source points in crop px
    opts: BuildOptions,
    landmarker: Landmarker | None,
    publisher: Publisher | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """A frame-space fake cut to the crop of its target frame, its fields, and its frame published if asked."""
    crop = warp_image(fake.frame.image, matrix, opts.crop_size)
    published = publisher.write(method.name, tf, fake.frame.image) if publisher else None
    fields = {
        "mask": warp_mask(fake.frame.mask, matrix, opts.crop_size),
        "landmarks": crop_landmarks(crop, lm_src, landmarker),
        "source_identity": fake.source_identity,
        "published": published,
        **fake.fields,
    }
    return crop, fields


def _add_fake(
    writer: DatasetWriter, method: Manipulation, crop: np.ndarray, fields: dict[str, Any], common: dict[str, Any]
) -> int:
    """Write one fake crop with its method's settings and family; returns 1 (the count)."""
    writer.add(crop, label=1, method=method.name, **{**common, **method.record, "family": method.family, **fields})
    return 1
