"""`provenance`: content credentials and metadata of the published file, not pixels.

Score 1.0 when the file declares itself synthetic: a C2PA manifest with an IPTC trained-algorithmic
digitalSourceType, a faceswap sidecar, or the invisible watermark. Otherwise 0.5 (absence proves
nothing, metadata is easily stripped) plus small weight for metadata hints: an encoder/software
string naming a face-swap tool (+0.3), and for images missing camera EXIF fields (+0.05). With
`strip=true` every file is first remuxed without metadata or sidecar (what a re-upload does), which
is the honest test: only a pixel watermark survives. Reported outside the averages. Files arrive as
`MediaRef` handles; tools that need a path get a copy named by the handle's random token (with its
sidecar), so nothing is read from the original name.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import av
import numpy as np

from faceswap.bench.detectors.base import Detector
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput, MediaRef
from faceswap.media.video import is_video_path

SWAP_TOOLS = ("faceswap", "deepfacelab", "facefusion", "roop", "simswap", "deepfacelive")
SYNTHETIC_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")


def container_strings(path: Path) -> list[str]:
    """Metadata strings of a video container and its streams (encoder, handler, comments)."""
    try:
        with av.open(str(path)) as container:
            values = list(container.metadata.values())
            for stream in container.streams:
                values += list(stream.metadata.values())
        return [str(v) for v in values]
    except (av.error.FFmpegError, OSError):
        return []


def image_metadata(path: Path) -> tuple[list[str], bool]:
    """(EXIF/PNG text strings, has camera make/model) of an image."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            exif = img.getexif()
            texts = [str(v) for v in exif.values()] + [str(v) for v in img.info.values() if isinstance(v, str)]
            return texts, bool(exif.get(0x010F) or exif.get(0x0110))  # Make, Model
    except OSError:
        return [], False


def metadata_hint(path: Path) -> float:
    """Extra suspicion in [0, 0.35] from metadata alone."""
    if is_video_path(path):
        texts, camera = container_strings(path), True  # videos rarely carry camera fields
    else:
        texts, camera = image_metadata(path)
    named_tool = any(tool in text.lower() for text in texts for tool in SWAP_TOOLS)
    return 0.3 * named_tool + 0.05 * (not camera)


def strip_copy(path: Path, out_dir: Path) -> Path:
    """Remux the first video stream without any metadata (or copy an image's pixels only)."""
    out = out_dir / f"stripped-{path.name}"
    if not is_video_path(path):
        from PIL import Image

        with Image.open(path) as img:
            Image.fromarray(np.asarray(img.convert("RGB"))).save(out)
        return out
    with av.open(str(path)) as src, av.open(str(out), mode="w", format="mp4") as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        stream.metadata.clear()
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    return out


@DETECTORS.register("provenance")
class ProvenanceDetector(Detector):
    needs = frozenset({"files"})
    uses_fakes = False
    robust_to_crops = False
    in_average = False

    def __init__(self, seed: int = 0, strip: bool = False, check_watermark: bool = True) -> None:
        super().__init__(seed)
        self.strip, self.check_watermark = strip, check_watermark

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> ProvenanceDetector:
        self.fitted = True  # rule-based: nothing to learn
        return self

    def score(self, x: DetectorInput) -> np.ndarray:
        self._check_fitted()
        files = x.files if x.files is not None else np.full(len(x), None, dtype=object)
        work = Path(tempfile.mkdtemp(prefix="faceswap-provenance-"))
        try:
            cache: dict[MediaRef, float] = {}
            return np.array([self._file_score(f, cache, work) if f is not None else 0.5 for f in files], np.float64)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _file_score(self, ref: MediaRef, cache: dict[MediaRef, float], work: Path) -> float:
        if ref not in cache:
            if not ref.exists():
                cache[ref] = 0.5
            else:
                path = ref.materialize(work)
                cache[ref] = file_score(strip_copy(path, work) if self.strip else path, self.check_watermark)
        return cache[ref]


@DETECTORS.register("provenance_stripped")
class StrippedProvenanceDetector(ProvenanceDetector):
    """`provenance` on metadata-stripped copies of each file: what survives a re-upload."""

    def __init__(self, seed: int = 0, strip: bool = True, check_watermark: bool = True) -> None:
        super().__init__(seed, strip, check_watermark)


def file_score(path: Path, check_watermark: bool = True) -> float:
    from faceswap.provenance.verify import verify_file

    report = verify_file(path, check_watermark=check_watermark)
    declared = report.synthetic_declared or any(t in SYNTHETIC_TYPES for t in report.manifest.digital_source_types)
    sidecar = bool(report.sidecar) and report.sidecar_hash_matches is not False
    if declared or sidecar or report.watermark_found:
        return 1.0
    return min(0.95, 0.5 + metadata_hint(path))
