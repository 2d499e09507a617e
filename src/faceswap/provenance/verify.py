"""`faceswap verify FILE`: the C2PA manifest and its validation state, the sidecar, the invisible mark."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.provenance.c2pa_manifest import DIGITAL_SOURCE_TYPE, ManifestReport, read_manifest
from faceswap.provenance.keys import local_ca_pem
from faceswap.provenance.label import sidecar_path
from faceswap.provenance.watermark import detect_invisible
from faceswap.utils.errors import FaceswapError
from faceswap.utils.hashing import file_sha256
from faceswap.utils.io import require_file

_VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm"}
UNTRUSTED_CODE = "signingCredential.untrusted"
WATERMARK_THRESHOLD = 0.9  # fraction of the 32 payload bits; chance level is 0.5
# `faceswap verify` exit status per verdict (docs/provenance.md); 2 stays the CLI's usage/missing-file error
EXIT_CODES = {"labelled": 0, "not_labelled": 3, "label_invalid": 4, "not_media": 5}


@dataclass
class VerifyReport:
    file: str
    manifest: ManifestReport
    synthetic_declared: bool
    sidecar: dict[str, Any] | None = None
    sidecar_hash_matches: bool | None = None
    watermark_bits: float | None = None
    watermark_checked: bool = False
    readable: bool = True  # the file decodes as an image or a video
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """labelled | not_labelled | label_invalid | not_media (keys of EXIT_CODES)."""
        m = self.manifest
        if not self.readable:
            return "not_media"
        if m.present:
            broken = [f for f in m.failures if not f.startswith(UNTRUSTED_CODE)]
            if m.validation_state not in ("Valid", "Trusted") or broken or self.sidecar_hash_matches is False:
                return "label_invalid"
            return "labelled" if self.synthetic_declared else "not_labelled"
        if self.sidecar is not None:  # formats without an embedded manifest carry the sidecar only
            return "labelled" if self.sidecar_hash_matches else "label_invalid"
        return "not_labelled"

    @property
    def watermark_found(self) -> bool:
        return self.watermark_bits is not None and self.watermark_bits >= WATERMARK_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["watermark_found"] = self.watermark_found
        out["verdict"] = self.verdict
        out["manifest"].pop("manifest", None)
        return out


def _first_frame(path: Path) -> np.ndarray | None:
    """RGB uint8 of an image, or of the first frame of a video; None when it cannot be decoded."""
    try:
        if path.suffix.lower() in _VIDEO_SUFFIXES:
            import av

            with av.open(str(path)) as container:
                for frame in container.decode(video=0):
                    return frame.to_ndarray(format="rgb24")
            return None
        from PIL import Image

        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except Exception:
        return None


def _is_media(path: Path) -> bool:
    """Whether the file opens as an image or a video container with a video stream (headers only)."""
    try:
        if path.suffix.lower() in _VIDEO_SUFFIXES:
            import av

            with av.open(str(path)) as container:
                return len(container.streams.video) > 0
        from PIL import Image

        with Image.open(path):
            return True
    except Exception:
        return False


def verify_file(
    path: str | os.PathLike[str], key_dir: str | os.PathLike[str] | None = None, check_watermark: bool = True
) -> VerifyReport:
    path = require_file(path, "file to verify")
    if not path.is_file():
        raise FaceswapError(f"{path} is a folder", "pass one image or video file")
    if not _is_media(path):  # not an image or video: a C2PA reader would only report a broken manifest
        return VerifyReport(str(path), ManifestReport(present=False), False, readable=False)
    manifest = read_manifest(path, local_ca_pem(key_dir))
    report = VerifyReport(str(path), manifest, DIGITAL_SOURCE_TYPE in manifest.digital_source_types)
    side = sidecar_path(path)
    if side.is_file():
        try:
            report.sidecar = json.loads(side.read_text(encoding="utf-8"))
            report.sidecar_hash_matches = report.sidecar.get("output", {}).get("sha256") == file_sha256(path)
        except (json.JSONDecodeError, AttributeError):
            report.notes.append(f"sidecar {side.name} is not valid JSON")
    if check_watermark:
        pixels = _first_frame(path)
        report.watermark_checked = True
        report.watermark_bits = detect_invisible(pixels) if pixels is not None else None
    return report


VERDICT_LINES = {
    "labelled": "verdict: labelled as synthetic, and the label validates",
    "not_labelled": "verdict: NOT LABELLED — a readable file that carries no synthetic-content label",
    "label_invalid": "verdict: LABEL INVALID — a label is present but does not validate (changed after labelling?)",
    "not_media": "verdict: NOT A READABLE MEDIA FILE — it decodes as neither an image nor a video",
}


def verdict_line(report: VerifyReport) -> str:
    """The one line that sums the report up, with the exit status `faceswap verify` returns."""
    return f"{VERDICT_LINES[report.verdict]} (exit {EXIT_CODES[report.verdict]})"


def format_report(report: VerifyReport) -> list[str]:
    """Human-readable lines for the console."""
    m = report.manifest
    lines = [f"file: {report.file}"]
    if not report.readable:
        return [*lines, verdict_line(report)]
    if not m.present:
        lines.append("C2PA manifest: NONE — this file carries no content credentials")
    else:
        trust = " (signed by this installation's local faceswap CA)" if m.local_signer else ""
        lines.append(f"C2PA manifest: present, validation state {m.validation_state}{trust}")
        lines.append(f"  claim generator: {m.claim_generator}; signer: {m.signer}")
        lines.append(f"  digitalSourceType: {', '.join(m.digital_source_types) or 'none'}")
        lines.append(
            f"  synthetic (compositeWithTrainedAlgorithmicMedia): {'yes' if report.synthetic_declared else 'no'}"
        )
        for key, value in sorted(m.facts.items()):
            lines.append(f"  {key}: {value}")
        for failure in m.failures:
            if failure.startswith(UNTRUSTED_CODE):
                lines.append(
                    "  note: the signer is not on the public C2PA trust list (normal for a local certificate);"
                    " the signature itself is valid"
                )
            else:
                lines.append(f"  failure: {failure}")
    if report.sidecar is None:
        lines.append("sidecar: none")
    else:
        state = (
            "matches the file" if report.sidecar_hash_matches else "DOES NOT match the file (edited after labelling?)"
        )
        lines.append(f"sidecar: {sidecar_path(report.file).name}, output hash {state}")
        lines.append(f"  created {report.sidecar.get('created')}, config hash {report.sidecar.get('config_hash')}")
    if report.watermark_bits is not None:
        found = "found" if report.watermark_found else "not found"
        lines.append(f"invisible watermark: {found} ({report.watermark_bits:.0%} of payload bits)")
    elif report.watermark_checked:
        lines.append("invisible watermark: not checked (picture under 256 px, or not decodable)")
    return [*lines, *report.notes, verdict_line(report)]
