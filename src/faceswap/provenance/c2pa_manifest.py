"""Embed and read C2PA manifests (c2pa-python Builder/Signer/Reader) declaring synthetic content."""

from __future__ import annotations

import json
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceswap.provenance.keys import SigningIdentity
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_path

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
TOOL_NAME = "faceswap"
FACESWAP_ASSERTION = "org.faceswap.synthetic"
_MIME_BY_SUFFIX = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
    ".gif": "image/gif",
}


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("faceswap")
    except PackageNotFoundError:  # pragma: no cover - source checkout without install
        return "0+unknown"


def mime_type(path: str | os.PathLike[str]) -> str | None:
    """The C2PA MIME type of a file, or None when c2pa cannot embed into it."""
    import c2pa

    mime = _MIME_BY_SUFFIX.get(Path(path).suffix.lower()) or mimetypes.guess_type(str(path))[0]
    return mime if mime and mime in c2pa.Builder.get_supported_mime_types() else None


def manifest_definition(title: str, description: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The manifest: one `c2pa.created` action with the compositeWithTrainedAlgorithmicMedia source type."""
    agent = {"name": TOOL_NAME, "version": tool_version()}
    return {
        "claim_generator_info": [agent],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": agent,
                            "description": description,
                        }
                    ]
                },
            },
            {"label": FACESWAP_ASSERTION, "data": facts},
        ],
    }


def embed_manifest(
    path: str | os.PathLike[str], identity: SigningIdentity, description: str, facts: dict[str, Any]
) -> bool:
    """Sign a manifest into `path` in place (atomically). Returns False when the format cannot hold one."""
    import c2pa

    path = Path(path)
    mime = mime_type(path)
    if mime is None:
        return False
    definition = manifest_definition(path.name, description, facts)
    try:
        info = c2pa.C2paSignerInfo(identity.alg, identity.chain_pem, identity.key_pem, None)
        with (
            c2pa.Signer.from_info(info) as signer,
            c2pa.Builder(definition) as builder,
            atomic_path(path) as tmp,
            open(path, "rb") as src,
            open(tmp, "w+b") as dst,
        ):
            builder.sign(signer, mime, src, dst)
            dst.flush()
    except c2pa.C2paError as exc:
        raise FaceswapError(
            f"C2PA signing of {path.name} failed: {exc}",
            "check the certificate and key (PEM chain + matching key), or turn C2PA signing off",
            param="c2pa",
        ) from exc
    return True


@dataclass
class ManifestReport:
    """What `verify` shows: the active manifest, the validation state and its messages."""

    present: bool
    validation_state: str | None = None  # Invalid | Valid | Trusted
    local_signer: bool = False  # signed by this installation's local CA
    digital_source_types: list[str] = field(default_factory=list)
    claim_generator: str | None = None
    signer: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None


def read_manifest(path: str | os.PathLike[str], trust_anchor_pem: bytes | None = None) -> ManifestReport:
    """Read and validate the C2PA manifest of `path`; `present=False` when it has none."""
    import c2pa

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            reader = c2pa.Reader.try_create(mime_type(path) or _MIME_BY_SUFFIX.get(path.suffix.lower()), fh)
            if reader is None:
                return ManifestReport(present=False)
            with reader:
                report = _report_from_store(json.loads(reader.json()))
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "no JUMBF" in str(exc):
            return ManifestReport(present=False)
        if "NotSupported" in type(exc).__name__ or str(exc).startswith("NotSupported"):
            return ManifestReport(present=False)  # a format c2pa cannot carry a manifest in (e.g. BMP)
        return ManifestReport(present=True, validation_state="Invalid", failures=[str(exc)])
    if trust_anchor_pem and report.validation_state != "Invalid":
        report.local_signer = _state_with_anchor(path, trust_anchor_pem) == "Trusted"
    return report


def _state_with_anchor(path: Path, anchor_pem: bytes) -> str | None:
    import c2pa

    ctx = c2pa.Context.from_dict({"trust": {"trust_anchors": anchor_pem.decode()}, "verify": {"verify_trust": True}})
    with open(path, "rb") as fh, c2pa.Reader(mime_type(path), fh, None, ctx) as reader:
        return reader.get_validation_state()


def _report_from_store(store: dict[str, Any]) -> ManifestReport:
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    sources, facts = [], {}
    for assertion in active.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            sources += [
                a["digitalSourceType"] for a in assertion["data"].get("actions", []) if "digitalSourceType" in a
            ]
        if assertion.get("label") == FACESWAP_ASSERTION:
            facts = assertion.get("data", {})
    results = store.get("validation_results", {}).get("activeManifest", {})
    gen = (active.get("claim_generator_info") or [{}])[0]
    return ManifestReport(
        present=True,
        validation_state=store.get("validation_state"),
        digital_source_types=sources,
        claim_generator=f"{gen.get('name', '?')} {gen.get('version', '')}".strip(),
        signer=(active.get("signature_info") or {}).get("common_name")
        or (active.get("signature_info") or {}).get("issuer"),
        facts=facts,
        failures=[f"{f.get('code')}: {f.get('explanation', '')}" for f in results.get("failure", [])],
        manifest=active,
    )
