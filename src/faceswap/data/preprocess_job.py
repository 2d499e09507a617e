"""Preprocess one identity: collected frames -> tracked, aligned, filtered faces on disk (resumable).

Reads `collect/<id>/manifest.jsonl`, decodes exactly the frames it lists, writes crops/masks through a
writer thread and records each finished frame in the face-set journal, so a killed run resumes where it
stopped and a finished one is not redone. With `workers` > 1, photos are detected in a process pool
(faceswap.data.image_pool) and videos are tracked in segments by one (faceswap.data.video_pool).
"""

from __future__ import annotations

import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.data.faceset import FaceJournal, write_manifest, write_summary
from faceswap.data.image_pool import detect_images
from faceswap.data.video_pool import LocalTracks, VideoPool
from faceswap.face.detect import FaceDetector
from faceswap.face.extract import ExtractedFace, FaceCandidate, FaceExtractor
from faceswap.face.landmarks import Landmarker
from faceswap.face.smoothing import landmark_jitter
from faceswap.face.track import FaceTracker
from faceswap.media.image import encode_image
from faceswap.media.video import prefetch, read_video
from faceswap.utils.errors import FaceswapError, MediaError
from faceswap.utils.io import atomic_write_bytes, read_jsonl, safe_join

SHARD_BLOCK = 250  # video frames per shard unit: tracking stays continuous inside a block


@dataclass
class JobSettings:
    identity: str
    collect_dir: Path  # collect/<id>
    out_dir: Path  # faces/<id> (or a shard folder)
    fingerprint: str
    config_hash: str
    detect_every: int = 5
    smoothing: dict | None = None
    png_compression: int = 1
    shard: tuple[int, int] | None = None  # (i, n)
    file_prefix: str = ""
    workers: int = 1  # processes: detection on photo collections, tracking of video segments
    backend_specs: tuple[dict[str, Any], dict[str, Any]] | None = None  # (detect, landmarks) options with `name`
    extra: dict[str, Any] = field(default_factory=dict)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'i/n' -> (i, n) with 0 <= i < n."""
    if text in (None, "", "null"):
        return None
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError as exc:
        raise FaceswapError(f"shard={text!r} is not 'i/n'", "write e.g. shard=0/4") from exc
    if not 0 <= i < n:
        raise FaceswapError(f"shard={text!r} needs 0 <= i < n", "number shards from 0, e.g. 0/4 .. 3/4")
    return i, n


def frame_key(row: dict[str, Any]) -> str:
    return f"{row['source']}#{row['frame_index']}"


def in_shard(row: dict[str, Any], shard: tuple[int, int] | None) -> bool:
    if shard is None:
        return True
    unit = f"{row['source']}#{row['frame_index'] // SHARD_BLOCK if row['kind'] == 'video' else row['frame_index']}"
    return zlib.crc32(unit.encode()) % shard[1] == shard[0]


def read_collected(collect_dir: Path) -> list[dict[str, Any]]:
    manifest = collect_dir / "manifest.jsonl"
    if not manifest.is_file():
        raise FaceswapError(
            f"nothing collected for '{collect_dir.name}' ({manifest} missing)",
            "run `faceswap collect` first, or point to the folder it wrote",
            param="collect_dir",
        )
    return read_jsonl(manifest)


def resolve_source(collect_dir: Path, source: str) -> Path:
    path = Path(source)
    return path if path.is_absolute() else safe_join(collect_dir, source)


class FaceWriter:
    """Encodes and writes crops/masks on a background thread, then journals the frame (in order)."""

    def __init__(self, settings: JobSettings, journal: FaceJournal) -> None:
        self.s, self.journal = settings, journal
        self.index = journal.next_index()
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list[Future] = []

    def submit(self, row: dict[str, Any], faces: list[ExtractedFace], dropped: Counter) -> None:
        records = []
        for face in faces:
            name = f"{self.s.file_prefix}{self.index:06d}.png"
            self.index += 1
            records.append((name, face, self._row(row, name, face)))
        self.pending.append(self.pool.submit(self._write, frame_key(row), records, dict(dropped)))
        if len(self.pending) > 64:
            self.pending.pop(0).result()

    def _write(self, key: str, records: list, dropped: dict[str, int]) -> None:
        for name, face, _ in records:
            atomic_write_bytes(
                self.s.out_dir / name, encode_image(face.crop, ".png", png_compression=self.s.png_compression)
            )
            mask = (face.mask * 255).astype(np.uint8)
            atomic_write_bytes(self.s.out_dir / "masks" / name, encode_image(mask, ".png", png_compression=9))
        self.journal.record(key, [r for _, _, r in records], dropped)

    def _row(self, row: dict[str, Any], name: str, face: ExtractedFace) -> dict[str, Any]:
        return {
            "file": name,
            "mask": f"masks/{name}",
            "identity": self.s.identity,
            "source": row["source"],
            "source_kind": row["kind"],
            "frame_index": int(row["frame_index"]),
            "timestamp": row.get("timestamp"),
            "bbox": [round(v, 2) for v in face.bbox.to_list()],
            "landmarks": np.round(face.landmarks, 3).tolist(),
            "landmarks_crop": np.round(face.landmarks_crop, 3).tolist(),
            "matrix": face.matrix.tolist(),
            "face_type": self.s.extra.get("face_type"),
            "size": self.s.extra.get("size"),
            "pose": [round(float(a), 2) for a in face.pose],
            "blur": round(face.blur, 2),
            "identity_distance": None if face.identity_distance is None else round(face.identity_distance, 4),
            "track_id": face.track_id,
            "config_hash": self.s.config_hash,
        }

    def close(self) -> None:
        for fut in self.pending:
            fut.result()
        self.pool.shutdown()


def clear_faceset(out_dir: Path) -> None:
    """Remove crops, masks and manifest of an earlier run with another config (a fresh start)."""
    for pattern in ("*.png", "masks/*.png", "manifest.jsonl", "manifest.unsorted.jsonl", "summary.json"):
        for path in out_dir.glob(pattern):
            path.unlink()


def _video_frames(path: Path, rows: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], np.ndarray | None]]:
    by_index = {int(r["frame_index"]): r for r in rows}
    seen = set()
    try:
        for frame in prefetch(read_video(path, indices=set(by_index))):
            seen.add(frame.index)
            yield by_index[frame.index], frame.image
    except MediaError:
        pass  # frames after the damage are counted as unreadable below
    for index in sorted(set(by_index) - seen):
        yield by_index[index], None


def run_job(
    settings: JobSettings,
    detector: FaceDetector,
    landmarker: Landmarker,
    extractor: FaceExtractor,
    on_frame: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Process every not-yet-journaled frame of the identity; return the summary (also written to disk)."""
    start = time.perf_counter()
    rows = [r for r in read_collected(settings.collect_dir) if in_shard(r, settings.shard)]
    journal = FaceJournal(settings.out_dir, settings.fingerprint)
    resumed = len(journal.entries)
    if not resumed:
        clear_faceset(settings.out_dir)
    writer = FaceWriter(settings, journal)
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    images: list[dict[str, Any]] = []
    for row in rows:
        if journal.done(frame_key(row)):
            continue
        if row["kind"] == "video":
            by_source[row["source"]].append(row)
        else:
            images.append(row)
    jitter: dict[str, list[float]] = {"raw": [], "smoothed": []}
    processed, backends = 0, (detector, landmarker, extractor)
    try:
        with VideoPool(settings.workers, settings.backend_specs, settings.detect_every) as pool:
            for source, src_rows in by_source.items():
                path = resolve_source(settings.collect_dir, source)
                processed += _run_video(path, src_rows, settings, backends, pool, writer, jitter, on_frame)
        if images:
            processed += _run_images(images, settings, detector, landmarker, extractor, writer, on_frame)
    finally:
        writer.close()
    return _finish(settings, rows, journal, resumed, processed, jitter, time.perf_counter() - start)


def _run_video(
    path: Path,
    rows: list[dict[str, Any]],
    s: JobSettings,
    backends: tuple[FaceDetector, Landmarker, FaceExtractor],
    pool: VideoPool,
    writer: FaceWriter,
    jitter: dict[str, list[float]],
    on_frame: Callable[[], None] | None,
) -> int:
    detector, landmarker, extractor = backends
    tracks_of = pool.tracks(path, rows, s.smoothing) or LocalTracks(
        FaceTracker(detector, landmarker, detect_every=s.detect_every, smoothing=s.smoothing)
    )
    raw_seq: list[np.ndarray] = []
    smooth_seq: list[np.ndarray] = []
    if extractor.identity is not None:
        extractor.identity.reset()
    count = 0
    for row, image in _video_frames(path, rows):
        count += 1
        tracks = None if image is None else tracks_of(row, image)
        if tracks is None:  # not decodable (here, or in the worker that tracked the frame)
            writer.submit(row, [], Counter(unreadable=1))
            continue
        if tracks:
            raw_seq.append(tracks[0].raw_landmarks)
            smooth_seq.append(tracks[0].landmarks)
        faces, dropped = extractor.extract(image, [FaceCandidate(t.bbox, t.landmarks, t.track_id) for t in tracks])
        writer.submit(row, faces, dropped)
        if on_frame:
            on_frame()
    tracks_of.finish()
    if len(raw_seq) > 2:
        jitter["raw"].append(landmark_jitter(raw_seq))
        jitter["smoothed"].append(landmark_jitter(smooth_seq))
    return count


def _run_images(
    rows: list[dict[str, Any]],
    settings: JobSettings,
    detector: FaceDetector,
    landmarker: Landmarker,
    extractor: FaceExtractor,
    writer: FaceWriter,
    on_frame: Callable[[], None] | None,
) -> int:
    paths = [resolve_source(settings.collect_dir, row["source"]) for row in rows]
    found = detect_images(paths, detector, landmarker, settings.workers, settings.backend_specs)
    for row, (image, faces) in zip(rows, found, strict=True):
        if image is None:
            writer.submit(row, [], Counter(unreadable=1))
            continue
        kept, dropped = extractor.extract(image, [FaceCandidate(box, lm) for box, lm in faces])
        writer.submit(row, kept, dropped)
        if on_frame:
            on_frame()
    return len(rows)


def _finish(
    s: JobSettings,
    rows: list[dict[str, Any]],
    journal: FaceJournal,
    resumed: int,
    processed: int,
    jitter: dict[str, list[float]],
    seconds: float,
) -> dict[str, Any]:
    order = {frame_key(r): i for i, r in enumerate(rows)}
    faces = sorted(journal.rows(), key=lambda f: (order.get(f"{f['source']}#{f['frame_index']}", 1 << 30), f["file"]))
    write_manifest(s.out_dir, faces)
    dropped = journal.dropped()
    summary = {
        "identity": s.identity,
        "frames": len(rows),
        "frames_processed_now": processed,
        "frames_resumed": resumed,
        "faces": len(faces),
        "dropped": dict(sorted(dropped.items())),
        "dropped_total": sum(dropped.values()),
        "fingerprint": s.fingerprint,
        "config_hash": s.config_hash,
        "seconds": round(seconds, 3),
        "fps": round(processed / seconds, 2) if seconds > 0 and processed else None,
        "jitter_raw": round(float(np.mean(jitter["raw"])), 4) if jitter["raw"] else None,
        "jitter_smoothed": round(float(np.mean(jitter["smoothed"])), 4) if jitter["smoothed"] else None,
        "shard": list(s.shard) if s.shard else None,
        **s.extra,
    }
    write_summary(s.out_dir, summary)
    journal.close(remove=True)
    return summary
