"""Bad-input matrix: every stage that reads media meets broken files with one line, or a counted skip.

Each case runs the stage the way the CLI does (`faceswap.cli.run_command`), which turns a FaceswapError
into `error: ...` on one line and exit code 2. No case may print a traceback or leave a partial output.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hydra.utils import instantiate

from faceswap.cli import run_command
from faceswap.data.sample_clip import frame_photo, load_sample_photo
from faceswap.training.export import generator_meta, save_generator
from tests.conftest import compose_command


def _write_clip(path: Path, frames: int = 12, size: int = 64, audio_only: bool = False) -> Path:
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as box:
        if audio_only:
            stream = box.add_stream("aac", rate=16000)
            for i in range(10):
                frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
                frame.sample_rate = 16000
                frame.pts = i * 1024
                for packet in stream.encode(frame):
                    box.mux(packet)
        else:
            stream = box.add_stream("libx264", rate=12)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            for _ in range(frames):
                image = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return path


def _truncated(path: Path) -> Path:
    full = _write_clip(path.with_name("full.mp4"), frames=30)
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


MAKERS: dict[str, Callable[[Path], Path]] = {
    "missing": lambda d: d / "no such file.mp4",
    "empty": lambda d: (d / "empty.mp4", (d / "empty.mp4").write_bytes(b""))[0],
    "text_named_mp4": lambda d: (d / "notes.mp4", (d / "notes.mp4").write_text("not a video"))[0],
    "truncated": lambda d: _truncated(d / "cut.mp4"),
    "audio_only": lambda d: _write_clip(d / "audio.mp4", audio_only=True),
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained generator export: enough for swap to get past loading and meet its input."""
    root = tmp_path_factory.mktemp("ckpt")
    cfg = compose_command("swap", root)
    generator = instantiate(cfg.model.generator, identities=list(cfg.data.pair))
    return save_generator(root / "generator.pt", generator, generator_meta(generator))


def _expect_one_line_error(stage: str, cfg, capsys: pytest.CaptureFixture[str], *words: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_info:
        run_command(stage, cfg)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize("case", list(MAKERS))
def test_swap_refuses_broken_video(case: str, tmp_path: Path, checkpoint: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = MAKERS[case](tmp_path)
    cfg = compose_command("swap", tmp_path, [f"swap.input='{bad}'", f"swap.checkpoint='{checkpoint}'"])
    _expect_one_line_error("swap", cfg, capsys, bad.name)
    swap_dir = Path(cfg.paths.swap_dir)
    assert not swap_dir.exists() or not [p for p in swap_dir.rglob("*") if p.is_file()], "partial output left"


@pytest.mark.parametrize("case", list(MAKERS))
def test_collect_refuses_broken_video(case: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = MAKERS[case](tmp_path)
    good = _write_clip(tmp_path / "good.mp4")
    cfg = compose_command(
        "collect", tmp_path, ["data=video", f"data.identities.a.path='{bad}'", f"data.identities.b.path='{good}'"]
    )
    _expect_one_line_error("collect", cfg, capsys, bad.name)


@pytest.mark.parametrize("case", ["missing", "text_named_mp4"])
def test_verify_and_eval_refuse_broken_files(case: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = MAKERS[case](tmp_path)
    cfg = compose_command("verify", tmp_path, [f"file='{bad}'"])
    if case == "missing":
        _expect_one_line_error("verify", cfg, capsys, bad.name)
    cfg = compose_command("eval", tmp_path, [f"eval.swapped='{bad}'"])
    _expect_one_line_error("eval", cfg, capsys)


def test_video_without_any_face_is_one_line_error(tmp_path: Path, checkpoint: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    clip = _write_clip(tmp_path / "noise.mp4")
    cfg = compose_command("swap", tmp_path, [f"swap.input='{clip}'", f"swap.checkpoint='{checkpoint}'"])
    _expect_one_line_error("swap", cfg, capsys, "no face")
    assert not list(Path(cfg.paths.swap_dir).glob("*.mp4")), "an output was left for a failed swap"


def test_variable_frame_rate_and_unicode_path(tmp_path: Path, checkpoint: Path) -> None:
    folder = tmp_path / "vidéos с пробелом"
    folder.mkdir()
    path = folder / "vfr clip.mp4"
    with av.open(str(path), "w") as box:
        stream = box.add_stream("libx264", rate=30)
        stream.width = stream.height = 128
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        face, _ = frame_photo(load_sample_photo("astronaut"), 128)  # [128,128,3]
        for i in range(15):
            frame = av.VideoFrame.from_ndarray(np.roll(face, i, axis=1), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += 20 if i % 2 else 50  # alternating 50 fps / 20 fps spacing
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    cfg = compose_command("swap", tmp_path, [f"swap.input='{path}'", f"swap.checkpoint='{checkpoint}'"])
    run_command("swap", cfg)
    from faceswap.media.video import probe

    out = next(Path(cfg.paths.swap_dir).glob("*.mp4"))
    assert probe(out).frames == 15


def test_tiny_and_huge_images_are_a_counted_skip_or_a_face(tmp_path: Path, compose_cfg) -> None:  # type: ignore[no-untyped-def]
    """A 32x32 image is a counted skip; an 8000x8000 photo is detected (the detector works on a downscale)."""
    import json

    import cv2
    from PIL import Image

    from faceswap.commands import collect, preprocess

    folders = {k: tmp_path / k for k in ("a", "b")}
    for folder in folders.values():
        folder.mkdir()
    astronaut, _ = frame_photo(load_sample_photo("astronaut"), 512)  # [512,512,3]
    Image.fromarray(cv2.resize(astronaut, (8000, 8000), interpolation=cv2.INTER_LINEAR)).save(
        folders["a"] / "huge.jpg", quality=80
    )
    Image.fromarray(cv2.resize(astronaut, (32, 32), interpolation=cv2.INTER_AREA)).save(folders["a"] / "tiny.png")
    Image.fromarray(astronaut).save(folders["a"] / "normal.png")
    grace, _ = frame_photo(load_sample_photo("grace_hopper"), 384)
    Image.fromarray(grace).save(folders["b"] / "grace.png")
    cfg = compose_cfg(
        "preprocess",
        ["data=folder", f"data.identities.a.path={folders['a']}", f"data.identities.b.path={folders['b']}"],
    )
    collect.run(cfg)
    preprocess.run(cfg)
    summary = json.loads((Path(cfg.paths.faces_dir) / "a" / "summary.json").read_text())
    assert summary["faces"] == 2, summary  # huge + normal
    assert sum(summary["dropped"].values()) == 1, summary  # tiny, counted with its reason


def test_eval_of_a_video_that_is_not_the_sources_swap_is_one_line_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source, other = _write_clip(tmp_path / "source.mp4", size=64), _write_clip(tmp_path / "other.mp4", size=96)
    cfg = compose_command("eval", tmp_path, [f"eval.source='{source}'", f"eval.swapped='{other}'"])
    _expect_one_line_error("eval", cfg, capsys, "eval.swapped", "96x96", "64x64")
