"""The swap engine and `faceswap swap`: video/image/folder inputs, masks, pixels outside the mask,
frame count/fps/audio, provenance on every output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from faceswap.commands.swap import direction_target
from faceswap.commands.swap import run as run_swap
from faceswap.data.sample_clip import load_sample_photo, synthesize_clip
from faceswap.face.detect import create_face_detector
from faceswap.face.landmarks import create_landmarker
from faceswap.face.track import FaceTracker
from faceswap.media.audio import has_audio
from faceswap.media.video import probe, read_video
from faceswap.models.generator import build_generator
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.provenance.c2pa_manifest import DIGITAL_SOURCE_TYPE
from faceswap.provenance.label import sidecar_path
from faceswap.provenance.verify import verify_file
from faceswap.swap.engine import SwapEngine
from faceswap.swap.paste import paste_face
from faceswap.swap.select import FaceSelector
from faceswap.training.export import generator_meta, save_generator
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.hashing import file_sha256
from tests.synth_media import TINY_DF
from tests.test_audio_mux import make_clip


class DiscGenerator(torch.nn.Module):
    """Follows the generator contract; paints a flat colour and returns a centred-disc learned mask."""

    resolution = 64

    def forward(self, x: torch.Tensor, target: str) -> tuple[torch.Tensor, torch.Tensor]:
        n, _, r, _ = x.shape  # [N,3,R,R]
        rgb = torch.zeros_like(x)
        rgb[:, 0] = 0.9 if target == "b" else 0.1
        yy, xx = torch.meshgrid(torch.arange(r), torch.arange(r), indexing="ij")
        disc = (((yy - r / 2) ** 2 + (xx - r / 2) ** 2) < (0.35 * r) ** 2).float()
        return rgb, disc.expand(n, 1, r, r).clone()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("swap_media")
    frames = list(synthesize_clip(load_sample_photo("astronaut"), 12, 256, 12.0, seed=3))
    clip = make_clip(root / "clip.mp4", fps=12, images=frames)
    silent = make_clip(root / "silent.mp4", fps=12, images=frames[:6], audio_codec=None)
    folder = root / "photos"
    folder.mkdir()
    Image.fromarray(frames[0]).save(folder / "face.png")
    Image.fromarray(frames[4]).save(folder / "face2.jpg", quality=95)
    Image.fromarray(np.tile(np.linspace(0, 255, 256, dtype=np.uint8)[None, :, None], (200, 256, 3))).save(
        folder / "wall.png"
    )
    generator = build_generator(dict(TINY_DF), ["a", "b"])
    save_generator(root / "generator.pt", generator, generator_meta(generator))
    return {
        "root": root,
        "clip": clip,
        "silent": silent,
        "folder": folder,
        "ckpt": root / "generator.pt",
        "frames": frames,
    }


def _swap_cfg(compose_cfg, media: dict[str, Path], tmp_path: Path, *extra: str):
    return compose_cfg(
        "swap",
        [f"swap.checkpoint={media['ckpt']}", f"provenance.key_dir={tmp_path / 'keys'}", "swap.mask=hull", *extra],
    )


def test_video_swap_keeps_frames_fps_audio_and_is_labelled(compose_cfg, media, tmp_path: Path) -> None:
    result = run_swap(_swap_cfg(compose_cfg, media, tmp_path, f"swap.input={media['clip']}"))
    out = Path(result["outputs"][0])
    assert out.name == "clip_a2b.mp4" and result["faces"] == 12
    info_in, info_out = probe(media["clip"]), probe(out)
    assert info_out.frames == info_in.frames == 12 and info_out.fps == pytest.approx(info_in.fps)
    assert has_audio(out)
    before = [f.image.astype(int) for f in read_video(media["clip"])]
    after = [f.image.astype(int) for f in read_video(out)]
    # the face changed, the far background (corners) did not beyond codec noise
    centre = np.s_[100:150, 110:150]
    assert np.mean([np.abs(a[centre] - b[centre]).mean() for a, b in zip(before, after, strict=True)]) > 10
    corners = np.s_[:30, :30]
    assert np.mean([np.abs(a[corners] - b[corners]).mean() for a, b in zip(before, after, strict=True)]) < 3

    report = verify_file(out, tmp_path / "keys")
    assert report.manifest.present and report.manifest.local_signer
    assert report.manifest.digital_source_types == [DIGITAL_SOURCE_TYPE] and report.sidecar_hash_matches
    side = json.loads(sidecar_path(out).read_text())
    assert side["inputs"][0]["sha256"] == file_sha256(media["clip"])
    assert side["checkpoint"]["sha256"] == file_sha256(media["ckpt"])
    assert side["facts"]["direction"] == "a2b" and set(result["timing"]) >= {"decode_s", "generate_s", "encode_s"}


def test_video_without_audio_stays_silent(compose_cfg, media, tmp_path: Path) -> None:
    result = run_swap(
        _swap_cfg(
            compose_cfg, media, tmp_path, f"swap.input={media['silent']}", "swap.direction=b2a", "provenance.c2pa=false"
        )
    )
    out = Path(result["outputs"][0])
    assert out.name == "silent_b2a.mp4" and probe(out).frames == 6 and not has_audio(out)
    assert sidecar_path(out).is_file()


def test_folder_with_a_faceless_image(compose_cfg, media, tmp_path: Path) -> None:
    result = run_swap(_swap_cfg(compose_cfg, media, tmp_path, f"swap.input={media['folder']}", "postprocess=seamless"))
    outputs = sorted(Path(p).name for p in result["outputs"])
    assert outputs == ["face.png", "face2.jpg"]
    out_dir = Path(result["outputs"][0]).parent
    assert out_dir.name == "photos_a2b"
    assert result["unchanged"] == [str(media["folder"] / "wall.png")]
    assert file_sha256(out_dir / "wall.png") == file_sha256(media["folder"] / "wall.png")
    assert not sidecar_path(out_dir / "wall.png").exists()
    assert Image.open(out_dir / "face2.jpg").format == "JPEG"
    for name in outputs:
        assert verify_file(out_dir / name, tmp_path / "keys").synthetic_declared


def test_no_face_anywhere_is_a_one_line_error(compose_cfg, media, tmp_path: Path) -> None:
    with pytest.raises(FaceswapError, match="no face"):
        run_swap(_swap_cfg(compose_cfg, media, tmp_path, f"swap.input={media['folder'] / 'wall.png'}"))
    assert not list((tmp_path / "runs").rglob("wall*.png"))  # nothing written for a lone faceless image
    with pytest.raises(FaceswapError, match="not found"):
        run_swap(_swap_cfg(compose_cfg, media, tmp_path, f"swap.input={tmp_path / 'nope.mp4'}"))


def _engine(mask: str = "learned", blend: str = "alpha", color: str = "none") -> SwapEngine:
    post = PostProcessor(color=color, blend=blend, blur=0.05)
    return SwapEngine(DiscGenerator(), "b", resolution=64, postprocessor=post, mask=mask, batch_size=4)


def _tracked(frames: list[np.ndarray]):
    tracker = FaceTracker(create_face_detector("dlib_hog"), create_landmarker("dlib68"), detect_every=1)
    return [tracker.update(f) for f in frames]


@pytest.mark.parametrize("blend", ["alpha", "poisson", "laplacian"])
@pytest.mark.parametrize("mask", ["learned", "hull", "intersection", "union"])
def test_pixels_outside_the_warped_mask_are_bit_identical(media, mask: str, blend: str) -> None:
    frames = media["frames"][:2]
    faces = _tracked(frames)
    engine = _engine(mask, blend, "rct")
    out = engine.swap_frames(frames, faces)
    for frame, swapped, fs in zip(frames, out, faces, strict=True):
        assert len(fs) == 1
        # where the paste could have changed anything: the processed mask warped into the frame
        aligned = engine._align(frame, fs[0])
        _, learned = engine.generate([aligned.crop])
        _, soft = engine.post.process_crop(aligned.crop, aligned.crop, engine._crop_mask(aligned, learned[0]))
        probe_frame = np.zeros_like(frame)
        reach = paste_face(probe_frame, np.full_like(aligned.crop, 255), soft, aligned.matrix, "alpha").max(-1) > 0
        changed = np.abs(swapped.astype(int) - frame.astype(int)).max(-1) > 0
        assert changed.sum() > 500
        assert not (changed & ~reach).any()


def test_learned_mask_and_direction_reach_the_generator(media) -> None:
    frame = media["frames"][0]
    faces = _tracked([frame])
    red = _engine("learned").swap_frames([frame], faces)[0]
    engine_a = SwapEngine(DiscGenerator(), "a", resolution=64, postprocessor=PostProcessor(color="none"))
    dark = engine_a.swap_frames([frame], faces)[0]
    changed = np.abs(red.astype(int) - frame.astype(int)).max(-1) > 0
    assert red[changed][:, 0].mean() > dark[changed][:, 0].mean() + 50
    assert direction_target("b2a", ["a", "b"]) == ("a", "b2a")
    assert direction_target("a2a", ["a", "b"]) == ("a", "a2a")
    assert direction_target("b2b", ["a", "b"]) == ("b", "b2b")
    with pytest.raises(ConfigError):
        direction_target("sideways", ["a", "b"])


def test_batching_does_not_change_results(media) -> None:
    frames = media["frames"][:5]
    faces = _tracked(frames)
    one = SwapEngine(DiscGenerator(), "b", resolution=64, batch_size=1).swap_frames(frames, faces)
    many = SwapEngine(DiscGenerator(), "b", resolution=64, batch_size=5).swap_frames(frames, faces)
    for a, b in zip(one, many, strict=True):
        np.testing.assert_array_equal(a, b)


def test_face_selection_modes(media) -> None:
    frame = media["frames"][0]
    faces = _tracked([frame])[0]
    from faceswap.face.identity import face_descriptor

    same = face_descriptor(frame, faces[0].raw_landmarks)
    assert FaceSelector("reference", [same])(frame, faces) == faces
    assert FaceSelector("reference", [np.full(128, 5.0, np.float32)])(frame, faces) == []
    assert len(FaceSelector("all")(frame, faces)) == len(faces)
    with pytest.raises(ConfigError):
        FaceSelector("reference", [])
    with pytest.raises(ConfigError):
        FaceSelector("tallest")


def test_reference_selection_and_watermarks_through_the_stage(compose_cfg, media, tmp_path: Path) -> None:
    image = media["folder"] / "face.png"
    result = run_swap(
        _swap_cfg(
            compose_cfg,
            media,
            tmp_path,
            f"swap.input={image}",
            "swap.faces=reference",
            "swap.reference=[astronaut]",
            "provenance.watermark.visible=true",
            "provenance.watermark.invisible=true",
        )
    )
    out = Path(result["outputs"][0])
    assert result["faces"] == 1 and out.name == "face_a2b.png"
    report = verify_file(out, tmp_path / "keys")
    assert report.watermark_found and report.synthetic_declared
    corner = np.asarray(Image.open(out))[-12:, -40:].astype(int)
    assert np.abs(corner - media["frames"][0][-12:, -40:].astype(int)).max() > 50  # the visible label is there
    with pytest.raises(FaceswapError, match="no face"):  # nobody in the photo is Grace Hopper
        run_swap(
            _swap_cfg(
                compose_cfg,
                media,
                tmp_path,
                f"swap.input={image}",
                "swap.faces=reference",
                "swap.reference=[grace_hopper]",
            )
        )


def test_max_frames_trims_the_audio_too(compose_cfg, media, tmp_path: Path) -> None:
    from tests.test_audio_mux import _audio_info

    result = run_swap(
        _swap_cfg(
            compose_cfg,
            media,
            tmp_path,
            f"swap.input={media['clip']}",
            "swap.max_frames=4",
            "swap.overlap_io=false",
            "provenance.enabled=false",
        )
    )
    out = Path(result["outputs"][0])
    assert probe(out).frames == 4 and not sidecar_path(out).exists()
    _, seconds = _audio_info(out)
    assert 4 / 12 - 0.1 < seconds < 4 / 12 + 0.15
