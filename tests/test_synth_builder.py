"""`build_samples` writes one chunk on a second thread while the next is manipulated: same records, same order,
same rng draws as one thread, and an error on either side stops the build."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from faceswap.face.mean_face import MEAN_FACE_68
from faceswap.synth.builder import BuildOptions, build_samples
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.methods.base import Context, Fake, Manipulation
from faceswap.synth.targets import TargetFrame
from faceswap.synth.writer import DatasetWriter


def frames(n: int) -> list[TargetFrame]:
    rng = np.random.default_rng(0)
    points = (MEAN_FACE_68 * 120 + 40).astype(np.float32)  # [68,2] frame px of a 200 px frame
    return [
        TargetFrame("a", "v0", "v0.mp4", i, i / 25, rng.integers(0, 255, (200, 200, 3), np.uint8), points, False)
        for i in range(n)
    ]


class Darken(Manipulation):
    """Frame space: the frame at half brightness, everywhere."""

    family = "darken"

    def __init__(self, context: Context, fail_at: int | None = None) -> None:
        super().__init__(context)
        self.fail_at, self.threads = fail_at, set[str]()

    def fake_frames(self, chunk: list[TargetFrame]) -> list[Fake | None]:
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and any(tf.frame_index == self.fail_at for tf in chunk):
            raise RuntimeError("method failed")
        mask = np.ones((200, 200), np.float32)
        return [Fake(FakeFrame((tf.image // 2).astype(np.uint8), mask), "b") for tf in chunk]


class Noise(Manipulation):
    """Crop space: noise from the builder's rng, so the order of its draws shows in the pixels."""

    family, space = "noise", "crop"

    def fake_crop(
        self, crop: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        noise = rng.integers(0, 255, crop.shape, np.uint8)
        return noise, np.ones(crop.shape[:2], np.float32)


def build(root: Path, n: int, batch_size: int, method: Manipulation) -> list[dict]:
    writer = DatasetWriter(root, 64)
    context = Context(["a", "b"], lambda ident, limit: iter(()))
    opts = BuildOptions(crop_size=64, batch_size=batch_size, seed=3)
    counts = build_samples(frames(n), [method, Noise(context)], writer, opts)
    assert counts == {"real": n, "darken": n, "noise": n}
    return writer.records


def test_pipelined_chunks_give_the_one_chunk_records_and_pixels(tmp_path: Path) -> None:
    context = Context(["a", "b"], lambda ident, limit: iter(()))
    one = build(tmp_path / "one", 10, 10, Darken(context))  # one chunk: nothing overlaps
    method = Darken(context)
    many = build(tmp_path / "many", 10, 3, method)  # four chunks, written while the next is made
    assert [r["id"] for r in many] == [r["id"] for r in one]
    assert [r["frame_index"] for r in many if r["method"] == "real"] == list(range(10))
    for a, b in zip(one, many, strict=True):
        assert (tmp_path / "one" / a["file"]).read_bytes() == (tmp_path / "many" / b["file"]).read_bytes()
    assert method.threads == {threading.main_thread().name}  # methods run on the caller's thread only


def test_an_error_while_making_or_writing_stops_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context = Context(["a", "b"], lambda ident, limit: iter(()))
    with pytest.raises(RuntimeError, match="method failed"):
        build(tmp_path / "m", 10, 3, Darken(context, fail_at=7))

    def full_disk(*args, **kwargs) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr("faceswap.synth.writer.write_png", full_disk)
    with pytest.raises(OSError, match="no space"):
        build(tmp_path / "w", 10, 3, Darken(context))
