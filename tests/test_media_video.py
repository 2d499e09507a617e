"""Video decode/encode through PyAV: round trip, frame selection, odd sizes and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap.media.video import VideoWriter, probe, read_video
from faceswap.utils.errors import FaceswapError, MediaError


def _write_ramp(path: Path, frames: int = 20, size: tuple[int, int] = (64, 48), fps: float = 10.0) -> Path:
    w, h = size
    with VideoWriter(path, fps=fps, crf=10) as writer:
        for i in range(frames):
            writer.write(np.full((h, w, 3), (10 + i * 10) % 250, np.uint8))
    return path


def test_round_trip_keeps_frame_count_size_and_content(tmp_path: Path) -> None:
    path = _write_ramp(tmp_path / "ramp.mp4")
    info = probe(path)
    assert (info.frames, info.width, info.height) == (20, 64, 48)
    assert info.fps == pytest.approx(10.0) and not info.has_audio and info.codec == "h264"
    frames = list(read_video(path))
    assert [f.index for f in frames] == list(range(20))
    assert frames[3].time == pytest.approx(0.3, abs=1e-3)
    assert frames[5].image.shape == (48, 64, 3) and frames[5].image.dtype == np.uint8
    assert frames[5].image.flags["C_CONTIGUOUS"]  # dlib silently fails on strided arrays
    assert abs(float(frames[5].image.mean()) - 60) < 4


def test_odd_dimensions_are_padded_to_even(tmp_path: Path) -> None:
    path = _write_ramp(tmp_path / "odd.mp4", frames=3, size=(33, 21))
    assert (probe(path).width, probe(path).height) == (34, 22)


def test_frame_selection_every_fps_range_max_and_indices(tmp_path: Path) -> None:
    path = _write_ramp(tmp_path / "ramp.mp4")
    assert [f.index for f in read_video(path, every=4)] == [0, 4, 8, 12, 16]
    assert [f.index for f in read_video(path, fps=2.5)] == [0, 4, 8, 12, 16]
    assert [f.index for f in read_video(path, start=0.5, end=0.8)] == [5, 6, 7]
    assert [f.index for f in read_video(path, max_frames=3)] == [0, 1, 2]
    assert [f.index for f in read_video(path, indices={2, 11})] == [2, 11]


def test_writer_leaves_no_file_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "fail.mp4"
    with pytest.raises(RuntimeError), VideoWriter(target, fps=10) as writer:
        writer.write(np.zeros((16, 16, 3), np.uint8))
        raise RuntimeError("boom")
    assert not target.exists() and not list(tmp_path.iterdir())


def test_writer_rejects_a_frame_of_another_size(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="differs"), VideoWriter(tmp_path / "x.mp4", fps=10) as writer:
        writer.write(np.zeros((16, 16, 3), np.uint8))
        writer.write(np.zeros((32, 16, 3), np.uint8))


def test_audio_from_without_audio_keeps_the_video(tmp_path: Path) -> None:
    src = _write_ramp(tmp_path / "src.mp4", frames=5)
    with VideoWriter(tmp_path / "out.mp4", fps=10, audio_from=src) as writer:
        for f in read_video(src):
            writer.write(f.image)
    assert probe(tmp_path / "out.mp4").frames == 5


@pytest.mark.parametrize(
    "content", [b"", b"this is a text file, not a video\n" * 20, b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 500]
)
def test_bad_files_give_one_line_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(FaceswapError) as err:
        list(read_video(path))
    assert "\n" not in str(err.value)
    with pytest.raises(FaceswapError):
        probe(path)


def test_truncated_video_yields_frames_then_fails_clearly(tmp_path: Path) -> None:
    path = _write_ramp(tmp_path / "ramp.mp4", frames=30, size=(128, 128))
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        frames = list(read_video(cut))
        assert len(frames) < 30  # ffmpeg may stop quietly at the damage
    except MediaError as exc:
        assert "\n" not in str(exc)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FaceswapError, match="not found"):
        probe(tmp_path / "nope.mp4")


_ENCODE_ONCE = """
import hashlib, sys
import torch  # noqa: F401  (loaded, as in every command; x264's output varied only then)
import av, numpy as np
from faceswap.data.sample_clip import load_sample_photo, synthesize_clip
from faceswap.media.video import VideoWriter
with VideoWriter(sys.argv[1], 24.0, crf=18) as writer:
    for frame in synthesize_clip(load_sample_photo("astronaut"), 24, 416, 24.0, 3, None, 0.25):
        writer.write(frame)
with av.open(sys.argv[1]) as clip:
    print(hashlib.md5(b"".join(f.to_ndarray(format="rgb24").tobytes() for f in clip.decode(video=0))).hexdigest())
"""


def test_an_encoded_clip_decodes_to_the_same_pixels_in_every_process(tmp_path: Path) -> None:
    """The sample clip (416 px wide) decoded to different pixels from run to run of one seed on an AVX-512
    machine (x264's AVX-512 code; 3 runs, 3 results); each process must now write the same video."""
    import subprocess
    import sys

    digests = {
        subprocess.run(
            [sys.executable, "-c", _ENCODE_ONCE, str(tmp_path / f"clip{k}.mp4")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for k in range(4)
    }
    assert len(digests) == 1, digests
