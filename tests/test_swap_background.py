"""Background decode/encode threads: order kept, errors re-raised in the caller, nothing left running."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from faceswap.swap.background import BackgroundSink, prefetch


def test_prefetch_keeps_order_and_reraises() -> None:
    assert list(prefetch(range(50), depth=3)) == list(range(50))

    def broken():
        yield 1
        raise ValueError("decoder died")

    with pytest.raises(ValueError, match="decoder died"):
        list(prefetch(broken()))


def test_prefetch_stops_its_thread_when_the_consumer_stops() -> None:
    before = threading.active_count()
    gen = prefetch(iter(range(10_000)), depth=2)
    assert next(gen) == 0
    gen.close()
    assert threading.active_count() <= before


def test_sink_consumes_in_order_and_reraises() -> None:
    seen: list[int] = []
    sink: BackgroundSink[int] = BackgroundSink(seen.append, depth=2)
    for i in range(20):
        sink.put(i)
    sink.close()
    assert seen == list(range(20))

    def explode(item: int) -> None:
        raise OSError("disk full")

    bad: BackgroundSink[int] = BackgroundSink(explode)
    bad.put(1)
    with pytest.raises(OSError, match="disk full"):
        bad.close()


def test_failed_video_swap_leaves_no_output(tmp_path: Path, monkeypatch) -> None:
    from faceswap.face.detect import create_face_detector
    from faceswap.face.landmarks import create_landmarker
    from faceswap.face.track import FaceTracker
    from faceswap.swap.engine import SwapEngine
    from faceswap.swap.media import swap_video
    from faceswap.swap.select import FaceSelector
    from tests.test_audio_mux import make_clip

    clip = make_clip(tmp_path / "in.mp4", frames=12)
    from tests.test_swap_engine import DiscGenerator

    engine = SwapEngine(DiscGenerator(), "b", resolution=64, batch_size=2)

    def fail(*args, **kwargs):
        raise RuntimeError("generator crashed")

    monkeypatch.setattr(engine, "swap_frames", fail)
    tracker = FaceTracker(create_face_detector("dlib_hog"), create_landmarker("dlib68"))
    with pytest.raises(RuntimeError, match="crashed"):
        swap_video(engine, tracker, FaceSelector("all"), clip, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
    assert not list(tmp_path.glob(".out*"))  # no half-written temp file either
