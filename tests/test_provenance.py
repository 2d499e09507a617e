"""C2PA manifests, sidecars, signing identities, watermarks and `faceswap verify`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceswap.media.video import VideoWriter
from faceswap.provenance.c2pa_manifest import DIGITAL_SOURCE_TYPE, read_manifest
from faceswap.provenance.keys import CA_FILE, CHAIN_FILE, KEY_FILE, default_key_dir, load_identity
from faceswap.provenance.label import label_output, sidecar_path
from faceswap.provenance.verify import format_report, verify_file
from faceswap.provenance.watermark import detect_invisible, embed_invisible, visible_watermark
from faceswap.utils.errors import FaceswapError
from faceswap.utils.hashing import config_hash, file_sha256


def _photo(size: int = 96) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return np.stack([xx * 255 // size, yy * 255 // size, (xx + yy) * 127 // size], -1).astype(np.uint8)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    return {"key_dir": str(tmp_path / "keys")}


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    src, ckpt = tmp_path / "input.png", tmp_path / "generator.pt"
    Image.fromarray(_photo()).save(src)
    ckpt.write_bytes(b"weights")
    return src, ckpt


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".mp4"])
def test_label_output_embeds_manifest_and_sidecar(tmp_path: Path, keys, inputs, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    if suffix == ".mp4":
        with VideoWriter(out, 10) as writer:
            for _ in range(5):
                writer.write(_photo(64))
    else:
        Image.fromarray(_photo()).save(out)
    cfg = {"swap": {"direction": "a2b"}}
    written = label_output(
        out, config=cfg, checkpoint=inputs[1], inputs=[inputs[0]], settings=keys, facts={"direction": "a2b"}
    )
    assert out in written and sidecar_path(out) in written

    report = read_manifest(out, (Path(keys["key_dir"]) / CA_FILE).read_bytes())
    assert report.present and report.validation_state in ("Valid", "Trusted")
    assert report.digital_source_types == [DIGITAL_SOURCE_TYPE] and report.local_signer
    assert report.claim_generator.startswith("faceswap") and report.facts["direction"] == "a2b"

    side = json.loads(sidecar_path(out).read_text())
    assert side["output"]["sha256"] == file_sha256(out)
    assert side["config_hash"] == config_hash(cfg)
    assert side["checkpoint"]["sha256"] == file_sha256(inputs[1])
    assert side["inputs"][0]["sha256"] == file_sha256(inputs[0])
    assert side["digital_source_type"] == DIGITAL_SOURCE_TYPE and side["created"].endswith("+00:00")


def test_local_identity_is_owner_only_and_reused(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    first = load_identity(key_dir=folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (KEY_FILE, CHAIN_FILE, CA_FILE):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert load_identity(key_dir=folder).key_pem == first.key_pem
    assert first.chain_pem.count(b"BEGIN CERTIFICATE") == 2


def test_default_key_dir_follows_env(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACESWAP_CONFIG_HOME", str(tmp_path / "cfg"))
    assert default_key_dir() == tmp_path / "cfg" / "c2pa"


def test_user_certificate_is_used(tmp_path: Path, inputs) -> None:
    load_identity(key_dir=tmp_path / "theirs")
    cert, key = tmp_path / "theirs" / CHAIN_FILE, tmp_path / "theirs" / KEY_FILE
    out = tmp_path / "o.png"
    Image.fromarray(_photo()).save(out)
    label_output(out, config={}, checkpoint=None, inputs=[], settings={"cert": str(cert), "key": str(key)})
    assert json.loads(sidecar_path(out).read_text())["c2pa"]["signer"] == "user"
    assert read_manifest(out).validation_state in ("Valid", "Trusted")
    with pytest.raises(FaceswapError, match="together"):
        label_output(out, config={}, checkpoint=None, inputs=[], settings={"cert": str(cert)})


def test_unsupported_format_still_gets_a_sidecar(tmp_path: Path, keys) -> None:
    out = tmp_path / "o.bmp"
    Image.fromarray(_photo()).save(out)
    written = label_output(out, config={}, checkpoint=None, inputs=[], settings=keys)
    assert written == [sidecar_path(out)]
    assert json.loads(sidecar_path(out).read_text())["c2pa"]["embedded"] is False


def test_disabled_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "o.png"
    Image.fromarray(_photo()).save(out)
    assert label_output(out, config={}, checkpoint=None, inputs=[], settings={"enabled": False}) == []
    assert not sidecar_path(out).exists()


def test_verify_reports_none_labelled_and_tampered(tmp_path: Path, keys) -> None:
    plain = tmp_path / "plain.png"
    Image.fromarray(_photo()).save(plain)
    report = verify_file(plain, Path(keys["key_dir"]))
    assert not report.manifest.present and "NONE" in "\n".join(format_report(report))

    labelled = tmp_path / "labelled.png"
    Image.fromarray(_photo()).save(labelled)
    label_output(labelled, config={}, checkpoint=None, inputs=[], settings=keys)
    report = verify_file(labelled, keys["key_dir"])
    text = "\n".join(format_report(report))
    assert report.synthetic_declared and report.sidecar_hash_matches and "compositeWithTrainedAlgorithmicMedia" in text

    data = bytearray(labelled.read_bytes())
    data[-20] ^= 0xFF  # flip a byte of the image data after signing
    labelled.write_bytes(bytes(data))
    report = verify_file(labelled, keys["key_dir"])
    assert report.sidecar_hash_matches is False
    assert report.manifest.validation_state == "Invalid" or report.manifest.failures


def test_verify_stage(compose_cfg, tmp_path: Path, keys, capsys) -> None:
    from faceswap.commands.verify import run

    out = tmp_path / "o.png"
    Image.fromarray(_photo()).save(out)
    label_output(out, config={}, checkpoint=None, inputs=[], settings=keys)
    cfg = compose_cfg("verify", [f"file={out}", f"provenance.key_dir={keys['key_dir']}"])
    result = run(cfg)
    assert result["synthetic_declared"] and result["manifest"]["local_signer"]
    assert "synthetic (compositeWithTrainedAlgorithmicMedia): yes" in capsys.readouterr().out
    with pytest.raises(FaceswapError, match="not found"):
        run(compose_cfg("verify", [f"file={tmp_path / 'missing.png'}"]))


def test_visible_watermark_changes_only_its_corner() -> None:
    img = _photo(200)
    marked = visible_watermark(img, "AI", corner="top-left", opacity=1.0)
    diff = np.abs(marked.astype(int) - img.astype(int)).sum(-1) > 0
    assert diff[:40, :60].any() and not diff[100:, 100:].any()
    with pytest.raises(FaceswapError):
        visible_watermark(img, corner="middle")


def test_invisible_watermark_survives_png_and_is_absent_otherwise(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    img = np.clip(_photo(320).astype(int) + rng.integers(-20, 20, (320, 320, 3)), 0, 255).astype(np.uint8)
    marked = embed_invisible(img)
    assert np.abs(marked.astype(int) - img.astype(int)).mean() < 4
    Image.fromarray(marked).save(tmp_path / "m.png")
    assert detect_invisible(np.asarray(Image.open(tmp_path / "m.png"))) >= 0.95
    assert detect_invisible(img) < 0.9
    assert detect_invisible(img[:128, :128]) is None  # too small to carry the mark


def test_verify_verdicts_and_exit_codes(tmp_path: Path, keys) -> None:
    from faceswap.commands.verify import exit_code
    from faceswap.provenance.verify import EXIT_CODES

    def verdict(path: Path) -> str:
        report = verify_file(path, keys["key_dir"])
        assert format_report(report)[-1].endswith(f"(exit {EXIT_CODES[report.verdict]})")
        assert exit_code(report.to_dict()) == EXIT_CODES[report.verdict]
        return report.verdict

    assert len(set(EXIT_CODES.values())) == 4 and EXIT_CODES["labelled"] == 0 and 2 not in EXIT_CODES.values()
    plain, png, bmp = tmp_path / "plain.png", tmp_path / "labelled.png", tmp_path / "labelled.bmp"
    for path in (plain, png, bmp):
        Image.fromarray(_photo()).save(path)
    for path in (png, bmp):
        label_output(path, config={}, checkpoint=None, inputs=[], settings=keys)
    assert verdict(png) == "labelled" and verdict(bmp) == "labelled"  # BMP: labelled by its sidecar alone
    assert verdict(plain) == "not_labelled"
    for path in (png, bmp):
        data = bytearray(path.read_bytes())
        data[-20] ^= 0xFF  # edited after labelling
        path.write_bytes(bytes(data))
        assert verdict(path) == "label_invalid", path.name
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    assert verdict(text) == "not_media"
    (tmp_path / "notes.png").write_text("not an image\n")
    assert verdict(tmp_path / "notes.png") == "not_media"


def test_verify_cli_exit_status(tmp_path: Path, keys) -> None:
    import subprocess
    import sys

    labelled, text = tmp_path / "labelled.png", tmp_path / "text.mp4"
    Image.fromarray(_photo()).save(labelled)
    label_output(labelled, config={}, checkpoint=None, inputs=[], settings=keys)
    text.write_text("hello\n")
    for path, code, words in ((labelled, 0, "label validates"), (text, 5, "NOT A READABLE MEDIA FILE")):
        proc = subprocess.run(
            [sys.executable, "-m", "faceswap.cli", "verify", str(path), f"provenance.key_dir={keys['key_dir']}"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == code, proc.stdout[-800:] + proc.stderr[-800:]
        assert words in proc.stdout and "validation state Invalid" not in proc.stdout
