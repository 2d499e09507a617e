"""Worker side of the video pool (`preprocess.workers` > 1): one video is cut into contiguous frame segments;
each worker process seeks to its segment, decodes forward to the exact first frame and tracks the segment with a
fresh FaceTracker, sending raw landmarks back to the parent.

The tracker starts `warmup` frames (2 x detect_every) before the segment with its detection cadence aligned to
the one-process run (re-detection on the same frames): where tracking is stable it converges by the second
periodic detection, so from the segment's first frame on the raw landmarks match workers=1 (the sample's
identity `a`: exactly, where a tracker started cold on the boundary differs by 0.6 px on average). Where the
landmarks depend strongly on the detector box (identity `b`) no start converges; see docs/faceset.md.

Frames are identified as `read_video` numbers them (decode order from 0): the seek lands on the keyframe before
the segment, decoding continues to the frame whose time matches the collect manifest's timestamp exactly, and
frames are counted from there. If the timestamps do not line up, the worker decodes from the start instead.
"""

from __future__ import annotations

import itertools
import math
import queue
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from faceswap.data.image_pool import build_backends
from faceswap.face.detect import FaceBox
from faceswap.face.track import FaceTracker
from faceswap.media.video import _open, prefetch, read_video
from faceswap.utils.errors import FaceswapError, MediaError

MIN_SEGMENT = 8  # frames per segment below which a video is tracked in the parent process
BATCH = 4  # frames per message to the parent

RawTrack = tuple[int, FaceBox, np.ndarray, bool]  # (track id within the segment, box, raw landmarks [68,2], detected)
Message = tuple[int, list[tuple[int, list[RawTrack]]] | None]  # (segment key, [(frame index, tracks)] or None = end)

_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class Segment:
    key: int  # unique within one pool's lifetime
    path: str
    t0: float  # time (s) of the video's first decoded frame: manifest timestamps are relative to it
    indices: tuple[int, ...]  # frames the worker tracks, ascending: `warmup` before the segment, then its own
    start_time: float  # manifest timestamp of indices[0]
    warmup: int = 0  # leading frames tracked but not sent (the previous segment sends them)
    position: int = 0  # place of indices[0] among the video's frames to do: aligns the detection cadence

    @property
    def sent(self) -> tuple[int, ...]:
        return self.indices[self.warmup :]


def first_frame_time(path: Path) -> float | None:
    """Stream time of the first decoded frame, or None when the video cannot be decoded or has no timestamps."""
    try:
        container = _open(path)
    except FaceswapError:
        return None
    try:
        for frame in container.decode(container.streams.video[0]):
            return None if frame.time is None else float(frame.time)
    except av.error.FFmpegError:
        return None
    finally:
        container.close()
    return None


def plan_segments(
    path: Path, rows: list[dict[str, Any]], workers: int, first_key: int, warmup: int = 0
) -> list[Segment]:
    """Split one video's to-do rows into up to `workers` contiguous runs of equal length, each with up to `warmup`
    frames before it; [] when the pool does not apply (too few frames, missing or non-increasing timestamps, or a
    video that cannot be decoded)."""
    if workers < 2 or len(rows) < 2 * MIN_SEGMENT:
        return []
    ordered = sorted(rows, key=lambda r: int(r["frame_index"]))
    times = [r.get("timestamp") for r in ordered]
    if any(t is None for t in times) or any(b <= a for a, b in itertools.pairwise(times)):
        return []
    t0 = first_frame_time(path)
    if t0 is None:
        return []
    count = min(workers, len(ordered) // MIN_SEGMENT)
    bounds = [round(k * len(ordered) / count) for k in range(count + 1)]
    indices = [int(r["frame_index"]) for r in ordered]
    segments = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        w = max(a - warmup, 0)
        segments.append(Segment(first_key + k, str(path), t0, tuple(indices[w:b]), float(times[w]), a - w, w))
    return segments


class _Unlocated(Exception):
    """The seek did not reach a frame with the segment's first timestamp."""


def _seek_and_count(seg: Segment) -> Iterator[tuple[int, av.VideoFrame]]:
    """(frame index, frame) from the segment's first frame on, counted in decode order."""
    container = _open(seg.path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if seg.indices[0] > 0:
            offset = math.floor((seg.t0 + seg.start_time) / stream.time_base)  # pts units
            container.seek(max(offset, 0), stream=stream, backward=True)
        index: int | None = None
        for frame in container.decode(stream):
            if index is None:
                rel = None if frame.time is None else round(float(frame.time) - seg.t0, 6)  # as collect rounded it
                if rel is not None and rel < seg.start_time:
                    continue
                if rel != seg.start_time:
                    raise _Unlocated
                index = seg.indices[0]
            yield index, frame
            index += 1
    except av.error.FFmpegError as exc:
        raise MediaError(f"video {seg.path} is corrupt near frame {seg.indices[0]}: {exc}") from exc
    finally:
        container.close()
    if index is None:
        raise _Unlocated


def segment_frames(seg: Segment) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, RGB uint8 [H,W,3]) for every frame of the segment, ascending; decoding stops after the last."""
    wanted, last = set(seg.indices), seg.indices[-1]
    try:
        for index, frame in _seek_and_count(seg):
            if index > last:
                return
            if index in wanted:
                yield index, np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    except _Unlocated:
        for video_frame in read_video(seg.path, indices=wanted):  # decode order from frame 0, as the 1-worker path
            yield video_frame.index, video_frame.image


def init_worker(detect_spec: dict[str, Any], landmarks_spec: dict[str, Any], results: Any, stop: Any) -> None:
    """Process initializer: backends rebuilt from their specs. A FaceswapError (e.g. missing weights) is kept and
    raised by every task, so the parent reports it on one line instead of the child printing a traceback.
    Ctrl-C is the parent's to handle: it tells the workers to stop through `stop`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results.cancel_join_thread()  # a worker never blocks at exit on results the parent no longer reads
    _WORKER.update(results=results, stop=stop)
    try:
        _WORKER["backends"] = build_backends(detect_spec, landmarks_spec)
    except FaceswapError as exc:
        _WORKER["error"] = exc


def track_segment(seg: Segment, detect_every: int) -> int:
    """Task: track one segment (raw landmarks, no smoothing: the parent smooths the whole video in order) and send
    batches of (frame index, [RawTrack]) for `seg.sent`, then an end marker. Frames it cannot decode are not sent."""
    if "error" in _WORKER:
        raise _WORKER["error"]
    results: queue.Queue[Message] = _WORKER["results"]
    detector, landmarker = _WORKER["backends"]
    tracker = FaceTracker(detector, landmarker, detect_every=detect_every, smoothing=None)
    tracker.frame_count = seg.position  # periodic detections on the same frames as a one-process run
    first_sent = seg.sent[0]
    batch: list[tuple[int, list[RawTrack]]] = []
    sent = 0
    try:
        for index, image in prefetch(segment_frames(seg)):
            if _WORKER["stop"].is_set():
                break
            tracks = tracker.update(image)
            if index < first_sent:
                continue  # warm-up
            batch.append((index, [(t.track_id, t.bbox, t.raw_landmarks, t.detected) for t in tracks]))
            if len(batch) >= BATCH:
                results.put((seg.key, batch))
                sent, batch = sent + len(batch), []
    except FaceswapError:
        pass  # a damaged stream: the parent counts the frames never sent as unreadable
    results.put((seg.key, batch))
    results.put((seg.key, None))
    return sent + len(batch)
