"""Carry a source's audio over to a swapped video (PyAV): stream copy when the container accepts the
codec, AAC re-encode otherwise. Called by `VideoWriter(audio_from=...)` on the finished video."""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av

from faceswap.utils.errors import MediaError
from faceswap.utils.io import atomic_path
from faceswap.utils.logging import get_logger

log = get_logger(__name__)

# Audio codecs each muxer takes as a stream copy; anything else is re-encoded to AAC (or Opus for webm).
COPYABLE = {
    "mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"},
    "mov": {"aac", "mp3", "alac", "ac3", "pcm_s16le", "pcm_s24le"},
    "matroska": {"aac", "mp3", "opus", "vorbis", "flac", "ac3", "pcm_s16le"},
    "avi": {"mp3", "ac3", "pcm_s16le"},
}
_MUXER = {".mkv": "matroska", ".webm": "matroska", ".mov": "mov", ".avi": "avi"}
_SLACK_S = 0.05  # audio may run this far past the last video frame


def has_audio(path: str | os.PathLike[str]) -> bool:
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.error.FFmpegError, OSError):
        return False


def audio_mode(codec: str, out_path: str | os.PathLike[str]) -> str:
    """'copy' when the output container accepts `codec` as is, else 're-encode'."""
    muxer = _MUXER.get(Path(out_path).suffix.lower(), "mp4")
    return "copy" if codec in COPYABLE.get(muxer, set()) else "re-encode"


def mux_audio(
    video_path: str | os.PathLike[str],
    audio_from: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    force_reencode: bool = False,
) -> str:
    """Write `out_path` = video stream of `video_path` (copied) + first audio stream of `audio_from`.

    `out_path` may equal `video_path` (replaced atomically). Audio past the video's end is dropped.
    Returns 'copy', 're-encode' or 'none' (the source has no audio; the video is left as is).
    """
    video_path, out_path = Path(video_path), Path(out_path)
    try:
        src = av.open(str(audio_from))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot read audio from {audio_from}: {exc}", "check the input video file") from exc
    with src:
        if not src.streams.audio:
            if out_path != video_path:
                out_path.write_bytes(video_path.read_bytes())
            return "none"
        a_in = src.streams.audio[0]
        mode = "re-encode" if force_reencode else audio_mode(a_in.codec_context.name, out_path)
        with av.open(str(video_path)) as vid, atomic_path(out_path) as tmp:
            v_in = vid.streams.video[0]
            v_end = _video_end(v_in)
            with av.open(str(tmp), mode="w", format=_MUXER.get(out_path.suffix.lower(), "mp4")) as out:
                v_out = out.add_stream_from_template(v_in)
                if mode == "copy":
                    a_out = out.add_stream_from_template(a_in)
                    audio_packets = _copied(src, a_in, a_out, v_end)
                else:
                    a_out = out.add_stream(
                        "libopus" if out_path.suffix.lower() == ".webm" else "aac",
                        rate=a_in.codec_context.sample_rate or 48000,
                    )
                    audio_packets = _reencoded(src, a_in, a_out, v_end)
                video_packets = _retagged(vid.demux(v_in), v_out)
                for packet in heapq.merge(video_packets, audio_packets, key=_packet_time):
                    out.mux(packet)
    log.info("audio from %s: %s", audio_from, mode)
    return mode


def _video_end(stream: av.video.stream.VideoStream) -> float:
    if stream.duration:
        return float(stream.duration * stream.time_base)
    rate = stream.average_rate or Fraction(25)
    return stream.frames / float(rate) if stream.frames else float("inf")


def _packet_time(packet: av.Packet) -> float:
    ts = packet.dts if packet.dts is not None else packet.pts
    return float(ts * packet.time_base) if ts is not None and packet.time_base else 0.0


def _retagged(packets: Iterator[av.Packet], stream: av.stream.Stream) -> Iterator[av.Packet]:
    for packet in packets:
        if packet.dts is None:  # demuxer flush packet
            continue
        packet.stream = stream
        yield packet


def _copied(
    src: av.container.InputContainer, a_in: av.audio.stream.AudioStream, a_out: av.stream.Stream, v_end: float
) -> Iterator[av.Packet]:
    start = None
    for packet in _retagged(src.demux(a_in), a_out):
        t = _packet_time(packet)
        start = t if start is None else start
        if t - start > v_end + _SLACK_S:
            return
        yield packet


def _reencoded(
    src: av.container.InputContainer, a_in: av.audio.stream.AudioStream, a_out: av.stream.Stream, v_end: float
) -> Iterator[av.Packet]:
    start = None
    for frame in src.decode(a_in):
        t = float(frame.time) if frame.time is not None else 0.0
        start = t if start is None else start
        if t - start > v_end + _SLACK_S:
            break
        frame.pts = None  # let the encoder number samples from zero
        yield from a_out.encode(frame)
    yield from a_out.encode(None)
