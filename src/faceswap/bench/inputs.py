"""What a detector sees: `DetectorInput`, built from the runner's labelled `Samples` by `detector_input`.

A deployed detector gets pixels, landmarks it could compute, and the media stream. So the input
holds crops, the dataset's (re-detected) landmarks, frame order, timestamps, an opaque key per video
and `MediaRef` handles that read a file's bytes and audio but never say its name. Labels come to
`fit` as a separate array; method names, sample ids, paths and folder names stay with the runner.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np

from faceswap.bench.samples import Samples

NEEDS = frozenset({"crops", "landmarks", "video", "audio", "files"})  # what a detector may declare


@functools.lru_cache(maxsize=64)
def _audio(path: str, rate: int) -> tuple[np.ndarray, int] | None:
    try:
        with open(os.open(path, os.O_RDONLY), "rb") as fh, av.open(fh) as container:
            if not container.streams.audio:
                return None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = [f.to_ndarray().ravel() for frame in container.decode(audio=0) for f in resampler.resample(frame)]
        return (np.concatenate(chunks).astype(np.float32), rate) if chunks else None
    except (av.error.FFmpegError, OSError):
        return None


class MediaRef:
    """Opaque handle to one media file: its bytes, its audio and a nameless local copy, never its name.

    `token` is random (drawn per file, independent of labels); `suffix` is the container format.
    """

    __slots__ = ("_path", "suffix", "token")

    def __init__(self, path: str | os.PathLike[str], token: str) -> None:
        self._path = str(path)
        self.token = token
        self.suffix = Path(path).suffix.lower()

    def __repr__(self) -> str:
        return f"MediaRef({self.token}{self.suffix})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MediaRef) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def exists(self) -> bool:
        return os.path.isfile(self._path)

    def open(self) -> BinaryIO:
        """The file's bytes; the file object is named by its descriptor, not the path."""
        return open(os.open(self._path, os.O_RDONLY), "rb")

    def read_audio(self, rate: int = 16000) -> tuple[np.ndarray, int] | None:
        """(mono float32 samples at `rate` Hz, rate) of the first audio stream, or None without audio."""
        return _audio(self._path, rate)

    def has_audio(self) -> bool:
        return self.read_audio() is not None

    def materialize(self, folder: str | os.PathLike[str]) -> Path:
        """A copy named `<token><suffix>` in `folder` (hard link when possible) with its provenance sidecar,
        for tools that need a path (C2PA readers, remuxers)."""
        from faceswap.provenance.label import sidecar_path

        out = Path(folder) / f"{self.token}{self.suffix}"
        for src, dst in ((Path(self._path), out), (sidecar_path(self._path), sidecar_path(out))):
            if src.is_file() and not dst.exists():
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
        return out


@dataclass(frozen=True)
class DetectorInput:
    """N samples as a deployed detector sees them; row i of every array is one sample."""

    crops: np.ndarray  # [N,S,S,3] uint8 RGB
    video_keys: np.ndarray  # [N] str: opaque random token per video, shared by the frames of one video
    frame_index: np.ndarray  # [N] int64: position of the frame in its video
    landmarks: np.ndarray | None = None  # [N,68,2] float32 crop px (as generate fitted them), NaN where unknown
    timestamps: np.ndarray | None = None  # [N] float seconds in the video
    media: np.ndarray | None = None  # [N] object MediaRef | None: the stream carrying the sample's soundtrack
    files: np.ndarray | None = None  # [N] object MediaRef | None: the published file holding the sample

    def __len__(self) -> int:
        return int(self.crops.shape[0])

    @property
    def size(self) -> int:
        """Crop side in pixels."""
        return int(self.crops.shape[1]) if len(self) else 0

    def subset(self, index: Any) -> DetectorInput:
        """Rows selected by a boolean mask or an index array."""
        idx = np.asarray(index)
        idx = np.flatnonzero(idx) if idx.dtype == bool else idx

        def pick(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[idx]

        return DetectorInput(
            crops=self.crops[idx],
            video_keys=self.video_keys[idx],
            frame_index=self.frame_index[idx],
            landmarks=pick(self.landmarks),
            timestamps=pick(self.timestamps),
            media=pick(self.media),
            files=pick(self.files),
        )

    def with_crops(self, crops: np.ndarray) -> DetectorInput:
        """Same samples with new pixels (a perturbation)."""
        if crops.shape[0] != len(self):
            raise ValueError(f"{crops.shape[0]} crops for {len(self)} samples")
        return replace(self, crops=crops)

    def missing(self, needs: frozenset[str]) -> str | None:
        """Why these samples cannot feed a detector with `needs`, or None when they can."""
        if not len(self):
            return "no samples"
        if "landmarks" in needs and (self.landmarks is None or np.isnan(self.landmarks).all()):
            return "the dataset has no landmarks"
        if "video" in needs and len(set(self.video_keys.tolist())) == len(self):
            return "every video has a single frame (images, not video)"
        if "audio" in needs and not any(m.has_audio() for m in _refs(self.media)):
            return "no sample comes from media with an audio track"
        if "files" in needs and not _refs(self.files):
            return "the dataset does not link samples to published media files (generate.publish=true)"
        return None


def _refs(column: np.ndarray | None) -> list[MediaRef]:
    return [] if column is None else list(dict.fromkeys(m for m in column if m is not None))


def detector_input(samples: Samples, rng: np.random.Generator) -> DetectorInput:
    """Strip `samples` to what a detector may see; video keys and media tokens are fresh random draws."""

    def token() -> str:
        return rng.bytes(8).hex()

    keys = {k: token() for k in dict.fromkeys(samples.video_keys.tolist())}
    refs: dict[str, MediaRef] = {}

    def handles(paths: np.ndarray | None) -> np.ndarray | None:
        if paths is None:
            return None
        out = np.full(len(paths), None, dtype=object)
        for i, p in enumerate(paths):
            if p:
                out[i] = refs.setdefault(str(p), MediaRef(str(p), token()))
        return out

    return DetectorInput(
        crops=samples.crops,
        video_keys=np.array([keys[k] for k in samples.video_keys.tolist()], dtype=object),
        frame_index=samples.frame_index,
        landmarks=samples.landmarks,
        timestamps=samples.timestamps,
        media=handles(samples.media),
        files=handles(samples.files),
    )
