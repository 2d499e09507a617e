"""Manipulation methods (`faceswap.synth.methods.MANIPULATIONS`), each on the embedded sample: every registered
method has a config, changes pixels only inside its mask (frame space, before any crop resampling), and
`faceswap generate` writes its labelled crops, masks, landmarks and `family`. Parametrized over the registry,
so a new method is tested without editing this file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from faceswap.cli import config_dir
from faceswap.commands.generate import run as run_generate
from faceswap.models.generator import build_generator
from faceswap.synth.builder import MIN_MASK
from faceswap.synth.crops import crop_matrix, warp_image
from faceswap.synth.index import read_index
from faceswap.synth.methods import MANIPULATIONS, Context, create_manipulation
from faceswap.synth.methods.drivers import evenly, ping_pong
from faceswap.synth.splits import check_no_leakage
from faceswap.synth.targets import faceset_targets
from faceswap.training.export import generator_meta, save_generator
from tests.synth_media import TINY_DF, write_run_inputs

FRAMES = 8
NAMES = MANIPULATIONS.names()
FRAME_SPACE = [n for n in NAMES if MANIPULATIONS.get(n).space == "frame"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sample clips + face sets of a and b, and an untrained tiny generator per architecture."""
    run = tmp_path_factory.mktemp("methods") / "run"
    paths = write_run_inputs(run, frames=FRAMES)
    for arch in ("df", "liae"):
        generator = build_generator({**TINY_DF, "name": arch}, ["a", "b"])
        save_generator(run / f"gen_{arch}" / "generator.pt", generator, generator_meta(generator))
    return paths


def method_overrides(compose_cfg, name: str, inputs: dict[str, Path]) -> list[str]:
    """Inputs for any method: the sample's face sets, and a tiny generator of its arch when it takes a checkpoint."""
    run = inputs["run_dir"]
    options = compose_cfg("generate").manipulation[name]
    extra = []
    if "checkpoint" in options:
        arch = options.get("arch") or "df"
        extra.append(f"manipulation.{name}.checkpoint={run / f'gen_{arch}' / 'generator.pt'}")
    if "mask" in options:
        extra.append(f"manipulation.{name}.mask=hull")
    return [f"paths.faces_dir={run / 'faces'}", f"paths.collect_dir={run / 'collect'}", *extra]


def build(compose_cfg, name: str, inputs: dict[str, Path]):
    cfg = compose_cfg("generate", method_overrides(compose_cfg, name, inputs))
    context = Context(
        ["a", "b"], lambda ident, limit: faceset_targets(cfg.paths.faces_dir, cfg.paths.collect_dir, ident, 1, limit)
    )
    from omegaconf import OmegaConf

    options = OmegaConf.to_container(cfg.manipulation[name], resolve=True)
    options.pop("variants", None)
    return create_manipulation(name, context=context, **options), cfg


def test_every_method_has_a_config_listed_in_base() -> None:
    root = Path(config_dir())
    files = sorted(p.stem for p in (root / "manipulation").glob("*.yaml"))
    defaults = yaml.safe_load((root / "base.yaml").read_text())["defaults"]
    listed = next(d["manipulation"] for d in defaults if isinstance(d, dict) and "manipulation" in d)
    assert files == NAMES and sorted(listed) == NAMES
    for name in NAMES:
        assert list(yaml.safe_load((root / "manipulation" / f"{name}.yaml").read_text())) == [name]


@pytest.mark.parametrize("name", FRAME_SPACE)
def test_frame_method_changes_pixels_only_inside_its_mask(compose_cfg, inputs, name: str) -> None:
    method, cfg = build(compose_cfg, name, inputs)
    frames = list(faceset_targets(cfg.paths.faces_dir, cfg.paths.collect_dir, "a", 1, 5))
    fakes = method.fake_frames(frames)
    assert len(fakes) == len(frames) and all(f is not None for f in fakes)
    for tf, fake in zip(frames, fakes, strict=True):
        image, mask = fake.frame.image, fake.frame.mask
        assert image.shape == tf.image.shape and image.dtype == np.uint8 and mask.shape == tf.image.shape[:2]
        assert mask.dtype == np.float32 and mask.min() >= 0.0 and mask.max() <= 1.0 and mask.max() >= MIN_MASK
        diff = np.abs(image.astype(int) - tf.image.astype(int)).max(axis=2)  # [H,W]
        assert diff[mask == 0].max(initial=0) <= 1, "pixels outside the mask changed"
        assert (mask[diff > 2] > 0).all(), "the mask does not cover every changed pixel"
        assert diff[mask > 0.5].mean() > 1.0, "the fake changed (almost) nothing inside its mask"
        assert fake.source_identity == "b"  # the OTHER identity gave the face / motion


def test_sbi_crop_method_blends_inside_its_mask(compose_cfg, inputs) -> None:
    method, cfg = build(compose_cfg, "sbi", inputs)
    tf = next(iter(faceset_targets(cfg.paths.faces_dir, cfg.paths.collect_dir, "a", 1, 1)))
    matrix = crop_matrix(tf.landmarks, 128)
    real = warp_image(tf.image, matrix, 128)
    lm = tf.landmarks @ matrix[:, :2].T + matrix[:, 2]
    image, mask = method.fake_crop(real, lm, np.random.default_rng(0))
    assert image.shape == real.shape and mask.shape == (128, 128) and mask.max() > 0.2
    assert np.abs(image.astype(int) - real.astype(int))[mask > 0.2].mean() > 1.0


@pytest.mark.parametrize("name", NAMES)
def test_generate_writes_each_family(compose_cfg, inputs, name: str) -> None:
    cfg = compose_cfg(
        "generate",
        [*method_overrides(compose_cfg, name, inputs), f"generate.methods=[{name}]", "generate.segment_frames=3"],
    )
    run_generate(cfg)
    root = Path(cfg.paths.synthetic_dir)
    recs = read_index(root)["samples"]
    reals = {(r["video_id"], r["frame_index"]): r for r in recs if r["label"] == 0}
    fakes = [r for r in recs if r["label"] == 1]
    assert len(reals) == 2 * FRAMES and len(fakes) == len(reals)
    assert {r["family"] for r in fakes} == {name} and {r["family"] for r in reals.values()} == {"real"}
    assert read_index(root)["methods"][fakes[0]["method"]]["family"] == name
    check_no_leakage(recs)
    for rec in fakes:
        assert len(rec["landmarks"]) == 68 and rec["split"] in ("train", "val", "test")
        assert rec["target_identity"] in ("a", "b") and rec["source_identity"] in ("a", "b")
        real = cv2.imread(str(root / reals[(rec["video_id"], rec["frame_index"])]["file"])).astype(int)
        img = cv2.imread(str(root / rec["file"])).astype(int)
        mask = cv2.imread(str(root / rec["mask"]), cv2.IMREAD_GRAYSCALE)
        assert mask.max() > 0 and np.abs(img - real)[mask >= mask.max() / 2].mean() > 1.0
        if MANIPULATIONS.get(name).space == "frame":  # crop-space sbi may jitter its background copy
            near = cv2.dilate((mask > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0  # crop resampling reach
            assert near.any() and np.abs(img - real)[~near].max(initial=0) <= 1
            assert rec["source_identity"] != rec["target_identity"] and (root / rec["published"]).is_file()


def test_missing_liae_checkpoint_skips_the_method(compose_cfg, inputs) -> None:
    overrides = method_overrides(compose_cfg, "sbi", inputs)
    cfg = compose_cfg("generate", [*overrides, "generate.methods=[ae_swap_liae,sbi]"])
    out = run_generate(cfg)
    assert set(out["skipped"]) == {"ae_swap_liae"}
    assert "generator checkpoint not found" in out["skipped"]["ae_swap_liae"]
    assert out["methods"] == ["sbi"]


def test_ae_swap_refuses_a_generator_of_another_family(compose_cfg, inputs) -> None:
    from faceswap.utils.errors import FaceswapError

    liae = inputs["run_dir"] / "gen_liae" / "generator.pt"
    overrides = [*method_overrides(compose_cfg, "ae_swap", inputs), f"manipulation.ae_swap.checkpoint={liae}"]
    cfg = compose_cfg("generate", overrides)
    with pytest.raises(FaceswapError, match="liae generator, the ae_swap family needs df"):
        run_generate(cfg)


def test_driven_methods_play_one_coherent_driver_sequence_per_video(compose_cfg, inputs) -> None:
    method, cfg = build(compose_cfg, "reenact", inputs)
    frames = list(faceset_targets(cfg.paths.faces_dir, cfg.paths.collect_dir, "a", 1, None))
    fakes = method.fake_frames(frames)
    drivers = [(f.fields["driver_video"], f.fields["driver_frame"]) for f in fakes]
    assert {v for v, _ in drivers} == {"b/clip"}  # the other identity's video
    steps = np.diff([i for _, i in drivers])
    assert np.all(np.abs(steps) <= 1) and np.count_nonzero(steps) >= len(frames) - 2  # consecutive, in step


def test_driver_helpers() -> None:
    assert [ping_pong(k, 4) for k in range(9)] == [0, 1, 2, 3, 2, 1, 0, 1, 2]
    assert ping_pong(5, 1) == 0
    kept = evenly(range(100), 10)
    assert len(kept) <= 10 and kept[0] == 0 and kept[-1] >= 80 and len(set(np.diff(kept))) == 1


@pytest.mark.slow  # ~35 s on 2 cores: the untrained-liae tests above cover ae_swap_liae in the default run
def test_trained_liae_generates_its_own_family(compose_cfg, inputs, tmp_path: Path) -> None:
    """The documented route to ae_swap_liae: a short `train model=liae` into its own folder, then generate."""
    from faceswap.commands import train
    from tests.train_faces import sample_faces

    out = tmp_path / "train_liae"
    train.run(compose_cfg("train", ["model=liae", f"paths.faces_dir={sample_faces()}", f"paths.train_dir={out}"]))
    overrides = method_overrides(compose_cfg, "sbi", inputs)
    cfg = compose_cfg(
        "generate",
        [*overrides, "generate.methods=[ae_swap_liae]", f"manipulation.ae_swap_liae.checkpoint={out / 'generator.pt'}"],
    )
    result = run_generate(cfg)
    recs = [r for r in read_index(cfg.paths.synthetic_dir)["samples"] if r["label"] == 1]
    assert result["methods"] == [recs[0]["method"]] and recs[0]["method"].startswith("liae")
    assert len(recs) == 2 * FRAMES and {r["family"] for r in recs} == {"ae_swap_liae"}
    assert recs[0]["generator"]["model"]["name"] == "liae"
