"""Audio carry-over: copied when the container takes the codec, re-encoded otherwise, absent stays absent."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from faceswap.media.audio import audio_mode, has_audio, mux_audio
from faceswap.media.video import VideoWriter, probe, read_video


def make_clip(
    path: Path,
    frames: int = 20,
    fps: int = 10,
    size: int = 64,
    audio_codec: str | None = "aac",
    audio_seconds: float | None = None,
    rate: int = 16000,
    images: list[np.ndarray] | None = None,
) -> Path:
    """A synthetic H.264 clip (flat grey ramps, or `images`); with `audio_codec`, a 440 Hz tone."""
    if images is not None:
        frames, size = len(images), images[0].shape[0]
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width = v.height = size
        v.pix_fmt = "yuv420p"
        a = None
        if audio_codec:
            a = out.add_stream(audio_codec, rate=rate)
            a.layout = "mono"
        for i in range(frames):
            img = images[i] if images is not None else np.full((size, size, 3), (i * 10) % 256, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in v.encode(None):
            out.mux(p)
        if a is not None:
            total = int(rate * (audio_seconds if audio_seconds is not None else frames / fps))
            t = np.arange(total) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
            chunk = 1024
            for start in range(0, total, chunk):
                part = tone[start : start + chunk][None, :]
                frame = av.AudioFrame.from_ndarray(part, format="s16", layout="mono")
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                for p in a.encode(frame):
                    out.mux(p)
            for p in a.encode(None):
                out.mux(p)
    return path


def _audio_info(path: Path) -> tuple[str, float]:
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        samples = sum(f.samples for f in c.decode(s))
        return s.codec_context.name, samples / s.codec_context.sample_rate


def _write_copy(src: Path, dst: Path) -> None:
    info = probe(src)
    with VideoWriter(dst, info.fps, audio_from=src) as w:
        for f in read_video(src):
            w.write(f.image)


def test_aac_audio_is_stream_copied(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", audio_codec="aac")
    dst = tmp_path / "out.mp4"
    _write_copy(src, dst)
    assert has_audio(dst) and probe(dst).frames == 20 and probe(dst).fps == pytest.approx(10)
    codec, seconds = _audio_info(dst)
    assert codec == "aac" and seconds == pytest.approx(2.0, abs=0.15)
    with av.open(str(src)) as a, av.open(str(dst)) as b:  # bit-exact packets
        pa = [bytes(p) for p in a.demux(a.streams.audio[0]) if p.size]
        pb = [bytes(p) for p in b.demux(b.streams.audio[0]) if p.size]
    assert pa[: len(pb)] == pb and len(pb) >= len(pa) - 2


def test_pcm_in_mov_is_reencoded_for_mp4(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mov", audio_codec="pcm_s16le")
    assert audio_mode("pcm_s16le", "x.mp4") == "re-encode" and audio_mode("aac", "x.mp4") == "copy"
    dst = tmp_path / "out.mp4"
    _write_copy(src, dst)
    codec, seconds = _audio_info(dst)
    assert codec == "aac" and seconds == pytest.approx(2.0, abs=0.15)


def test_audio_longer_than_video_is_trimmed(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", audio_seconds=5.0)
    dst = tmp_path / "out.mp4"
    mux_audio(make_clip(tmp_path / "silent.mp4", audio_codec=None), src, dst)
    _, seconds = _audio_info(dst)
    assert seconds < 2.3


def test_video_without_audio_stays_without(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", audio_codec=None)
    dst = tmp_path / "out.mp4"
    _write_copy(src, dst)
    assert not has_audio(dst) and probe(dst).frames == 20
    assert mux_audio(dst, src, dst) == "none"
