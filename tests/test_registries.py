"""Every registry entry builds through its one `create_*` path and has a config that composes and selects it.

Parametrized over the registries themselves: a new generator, discriminator, detector, colour or blend mode,
face detector or landmarker is tested here without editing this file.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from faceswap.bench.detectors import DETECTORS, Detector, create_detector
from faceswap.cli import config_dir
from faceswap.commands.bench import detector_factories
from faceswap.face.detect import FACE_DETECTORS, FaceBox, FaceDetector, create_face_detector
from faceswap.face.landmarks import LANDMARKERS, Landmarker, create_landmarker
from faceswap.models import DISCRIMINATORS, GENERATORS, SwapGenerator, create_discriminator, create_generator
from faceswap.postprocess.blend import BLENDERS, blend
from faceswap.postprocess.color import COLOR_TRANSFERS, transfer
from faceswap.postprocess.pipeline import PostProcessor
from faceswap.utils.errors import FaceswapError

TINY = {"enc_dims": 4, "latent_dims": 16, "inter_dims": 8, "dec_dims": 4, "mask_dims": 2}
FA_BACKENDS = {"sfd", "blazeface", "fan2d"}  # face-alignment networks: built untrained (no weights offline)


def _fa_names(registry_names: list[str]) -> list[str]:
    return [n for n in registry_names if n in FA_BACKENDS]


@pytest.fixture(autouse=True)
def one_thread() -> object:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_registries_are_not_empty() -> None:
    for registry in (GENERATORS, DISCRIMINATORS, DETECTORS, COLOR_TRANSFERS, BLENDERS, FACE_DETECTORS, LANDMARKERS):
        assert len(registry.names()) >= 2 or registry is DISCRIMINATORS, registry.kind
    assert "patch" in DISCRIMINATORS and "df" in GENERATORS and "meso4" in DETECTORS


# --- generators / discriminators -------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generator_config_selects_it_by_name(name: str, compose_cfg) -> None:
    assert (config_dir() / "model" / f"{name}.yaml").is_file()
    cfg = compose_cfg("train", [f"model={name}", *[f"model.generator.{k}={v}" for k, v in TINY.items()]])
    assert cfg.model.generator._target_ == "faceswap.models.create_generator"
    assert cfg.model.generator.name == name and "resolution" not in cfg.model.generator  # one key: model.resolution
    gen = instantiate(cfg.model.generator, identities=list(cfg.data.pair), resolution=int(cfg.model.resolution))
    assert isinstance(gen, SwapGenerator) and type(gen) is GENERATORS.get(name) and gen.name == name
    assert cfg.model.discriminator._target_ == "faceswap.models.create_discriminator"
    assert cfg.model.discriminator.name in DISCRIMINATORS


@pytest.mark.parametrize("name", GENERATORS.names())
@pytest.mark.parametrize("resolution", [64, 96])
def test_generator_forward_shapes(name: str, resolution: int) -> None:
    gen = create_generator(name, ["a", "b"], resolution=resolution, **TINY)
    x = torch.rand(2, 3, resolution, resolution)
    for target in ("a", "b"):
        rgb, mask = gen(x, target)
        assert rgb.shape == (2, 3, resolution, resolution) and mask.shape == (2, 1, resolution, resolution)
        assert 0 <= float(rgb.min()) <= float(rgb.max()) <= 1 and 0 <= float(mask.min()) <= float(mask.max()) <= 1
    assert gen.config["name"] == name


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_discriminator_scores_patches(name: str) -> None:
    disc = create_discriminator(name, dims=8)
    assert type(disc) is DISCRIMINATORS.get(name)
    logits = disc(torch.rand(2, 3, 64, 64))
    assert logits.ndim == 4 and logits.shape[:2] == (2, 1) and logits.shape[-1] > 1  # [N,1,h,w]
    models = [OmegaConf.load(p) for p in sorted((config_dir() / "model").glob("*.yaml"))]
    assert any(m.get("discriminator", {}).get("name") == name for m in models), f"no configs/model selects {name}"


# --- deepfake detectors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DETECTORS.names())
def test_detector_config_is_its_registered_name_and_bench_builds_it(name: str, compose_cfg) -> None:
    path = config_dir() / "detector" / f"{name}.yaml"
    assert path.is_file()
    raw = OmegaConf.load(path)
    assert list(raw) == [name], f"{path} must nest its options under `{name}:` only"
    assert "_target_" not in raw[name] and "seed" not in raw[name]  # the name selects; the seed is `seed`
    cfg = compose_cfg("bench", [f"detector=[{name}]", "seed=7"])
    factories = detector_factories(cfg)
    assert list(factories) == [name]
    det = factories[name]()
    assert isinstance(det, Detector) and type(det) is DETECTORS.get(name)
    assert det.name == name and det.seed == 7
    assert det.needs <= {"crops", "landmarks", "video", "audio", "files"}


@pytest.mark.parametrize("name", DETECTORS.names())
def test_detector_constructs_through_create_detector(name: str) -> None:
    det = create_detector(name, seed=3)
    assert type(det) is DETECTORS.get(name) and det.name == name and det.seed == 3 and not det.fitted


# --- colour transfer and blend modes ---------------------------------------------------------------------


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    source = np.clip(rng.normal(90, 20, (48, 48, 3)) + np.array([40, 0, -30]), 0, 255).astype(np.uint8)  # reddish
    target = np.clip(rng.normal(150, 25, (48, 48, 3)) + np.array([-30, 10, 40]), 0, 255).astype(np.uint8)  # bluish
    mask = np.zeros((48, 48), np.float32)
    mask[12:36, 12:36] = 1.0
    return source, target, mask


@pytest.mark.parametrize("mode", COLOR_TRANSFERS.names())
def test_color_transfer_mode_on_a_small_image(mode: str) -> None:
    source, target, mask = _scene()
    out = transfer(mode, source, target, mask)
    assert out.dtype == np.uint8 and out.shape == source.shape
    gap = lambda img: float(np.abs(img.reshape(-1, 3).mean(0) - target.reshape(-1, 3).mean(0)).sum())  # noqa: E731
    if mode == "none":
        np.testing.assert_array_equal(out, source)
    else:
        assert gap(out) < 0.5 * gap(source), f"{mode} did not move the colours towards the target"
    assert PostProcessor(color=mode).color == mode  # the postprocess config selects it by the same name


@pytest.mark.parametrize("mode", BLENDERS.names())
def test_blend_mode_on_a_small_image(mode: str) -> None:
    face, background, mask = _scene()
    out = blend(mode, face, background, mask)
    assert out.dtype == np.uint8 and out.shape == background.shape
    np.testing.assert_array_equal(out[mask == 0], background[mask == 0])
    # inside, the face's texture wins (Poisson keeps its gradients, not its mean colour): correlate zero-mean patches
    centred = lambda img: (img[16:32, 16:32].astype(float) - img[16:32, 16:32].mean((0, 1))).ravel()  # noqa: E731
    corr = lambda a, b: float(np.corrcoef(centred(a), centred(b))[0, 1])  # noqa: E731
    assert corr(out, face) > 0.5 > corr(out, background)
    assert PostProcessor(blend=mode).blend == mode


# --- face detectors / landmarkers ------------------------------------------------------------------------


def _build(create, registry, name: str) -> object | None:
    """Build an entry; a network without weights offline must refuse in one line naming the weights instead."""
    if name not in FA_BACKENDS:
        return create(name)
    if importlib.util.find_spec("face_alignment") is None:
        pytest.skip("face-alignment is not installed")
    if "random_weights" in inspect.signature(registry.get(name)).parameters:
        return create(name, random_weights=True)  # the real network, untrained
    try:
        return create(name)
    except FaceswapError as exc:
        assert "weights not found" in str(exc) and "\n" not in str(exc)
        return None


@pytest.mark.parametrize("name", FACE_DETECTORS.names())
def test_face_detector_config_and_construction(name: str, compose_cfg) -> None:
    cfg = compose_cfg("preprocess", [f"face_detector={name}"])
    assert cfg.face_detector._target_ == "faceswap.face.detect.create_face_detector" and cfg.face_detector.name == name
    det = _build(create_face_detector, FACE_DETECTORS, name)
    if det is not None:
        assert isinstance(det, FaceDetector)
        boxes = det(np.zeros((64, 64, 3), np.uint8))
        assert all(isinstance(b, FaceBox) for b in boxes)
        if name not in FA_BACKENDS:  # trained: a blank frame has no face (untrained networks see noise)
            assert boxes == []


@pytest.mark.parametrize("name", LANDMARKERS.names())
def test_landmarker_config_and_construction(name: str, compose_cfg) -> None:
    cfg = compose_cfg("preprocess", [f"landmarks={name}"])
    assert cfg.landmarks._target_ == "faceswap.face.landmarks.create_landmarker" and cfg.landmarks.name == name
    lm = _build(create_landmarker, LANDMARKERS, name)
    assert lm is None or isinstance(lm, Landmarker)


def test_registries_import_their_package_on_first_use(tmp_path: Path) -> None:
    """A new entry needs no import line: the registry imports every module of its package itself."""
    import subprocess
    import sys

    code = (
        "from faceswap.bench.detectors.registry import DETECTORS\n"
        "from faceswap.models.generator import GENERATORS\n"
        "assert 'meso4' in DETECTORS.names() and 'liae' in GENERATORS.names()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
