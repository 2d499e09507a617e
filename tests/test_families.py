"""Training-free manipulation families on real faces of the embedded sample (astronaut as target, Grace
Hopper with her mouth opened as source/driver): each fake changes pixels only inside its mask, the mask
covers every change, and each family does what it claims (identity texture moved, expression transferred,
only the mouth replaced, smooth over time)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from faceswap.data.sample_clip import frame_photo, load_sample_photo
from faceswap.eval.faces import FaceMeter
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.families.driving import open_mouth
from faceswap.synth.families.mesh import (
    SmoothedColour,
    bounding_box,
    face_points,
    face_simplices,
    fill_polygon,
    warp_mesh,
)
from faceswap.synth.families.mesh_swap import MeshSwapOptions, mesh_swap
from faceswap.synth.families.mouth import MouthOptions, MouthReplacer, pick_driver
from faceswap.synth.families.reenact import ReenactOptions, Reenactor
from faceswap.utils.errors import ConfigError, FaceswapError

SIDE = 320


@pytest.fixture(scope="module")
def faces() -> dict[str, np.ndarray]:
    meter = FaceMeter()
    out = {}
    for key, name in (("target", "astronaut"), ("source", "grace_hopper")):
        frame = frame_photo(load_sample_photo(name), SIDE)[0]
        found = meter.measure(frame)
        assert found is not None
        out[key], out[key + "_lm"] = frame, found.landmarks.astype(np.float32)
    out["driver"], out["driver_lm"] = open_mouth(out["source"], out["source_lm"], 0.45)
    return out


def _mesh_swap(f: dict) -> FakeFrame:
    return mesh_swap(f["source"], f["source_lm"], f["target"], f["target_lm"], MeshSwapOptions())


def _reenact(f: dict) -> FakeFrame:
    return Reenactor(ReenactOptions())(f["target"], f["target_lm"], f["driver"], f["driver_lm"])


def _mouth(f: dict) -> FakeFrame:
    return MouthReplacer(MouthOptions())(f["target"], f["target_lm"], f["driver"], f["driver_lm"])


FAMILIES: dict[str, Callable[[dict], FakeFrame]] = {"mesh_swap": _mesh_swap, "reenact": _reenact, "mouth": _mouth}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fake_changes_pixels_only_inside_its_mask(faces, family) -> None:
    fake = FAMILIES[family](faces)
    target = faces["target"]
    assert fake.image.shape == target.shape and fake.image.dtype == np.uint8
    assert fake.mask.shape == target.shape[:2] and fake.mask.dtype == np.float32
    assert fake.mask.min() >= 0.0 and fake.mask.max() <= 1.0
    outside = fake.mask == 0
    assert np.array_equal(fake.image[outside], target[outside])  # bit-identical where the mask is 0
    changed = np.any(fake.image != target, axis=2)
    assert not np.any(changed & outside)
    assert changed.sum() > 400, f"{family} hardly changed anything"
    assert (fake.mask > 0.5).sum() > 400


def _correlation(a: np.ndarray, b: np.ndarray, sel: np.ndarray) -> float:
    ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)[sel].astype(np.float64)
    gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)[sel].astype(np.float64)
    return float(np.corrcoef(ga, gb)[0, 1])


def test_mesh_swap_moves_the_source_identity_texture(faces) -> None:
    fake = _mesh_swap(faces)
    dst = face_points(faces["target_lm"])
    box = bounding_box(dst, faces["target"].shape)
    warped, _ = warp_mesh(faces["source"], face_points(faces["source_lm"]), dst, face_simplices(), box)
    source_on_target = faces["target"].copy()
    source_on_target[box.slices] = warped
    inner = np.zeros(faces["target"].shape[:2], np.float32)
    inner[box.slices] = fill_polygon(faces["target_lm"][17:48], box)  # brows, nose, eyes: identity texture
    sel = inner > 0
    to_source = _correlation(fake.image, source_on_target, sel)
    to_target = _correlation(fake.image, faces["target"], sel)
    assert to_source > 0.8 and to_source > to_target + 0.2, (to_source, to_target)


def _mouth_aspect(lm: np.ndarray) -> float:
    """Inner-lip opening over inner-lip width."""
    opening = np.linalg.norm(lm[[61, 62, 63]] - lm[[67, 66, 65]], axis=1).mean()
    return float(opening / np.linalg.norm(lm[64] - lm[60]))


def test_reenact_opens_the_mouth_like_the_driver_and_stays_on_the_face(faces) -> None:
    moved = Reenactor().expression(faces["target_lm"], faces["driver_lm"])
    assert abs(_mouth_aspect(moved) - _mouth_aspect(faces["driver_lm"])) < 0.1  # the shape takes the driver's
    fake = _reenact(faces)
    meter = FaceMeter()  # measure all three the same way: landmarks re-fitted by dlib on the pixels
    found, driven = meter.measure(fake.image), meter.measure(faces["driver"])
    assert found is not None and driven is not None
    target, driver, out = (_mouth_aspect(x) for x in (faces["target_lm"], driven.landmarks, found.landmarks))
    assert driver > target + 0.2, (target, driver)  # the driving frame really is open-mouthed
    assert abs(out - driver) < 0.6 * abs(target - driver), (target, driver, out)
    # the identity is kept: eyes and nose land where the target's were
    assert np.abs(found.landmarks[27:48] - faces["target_lm"][27:48]).mean() < 3.0
    points = face_points(faces["target_lm"])
    centre = points[:68].mean(0)
    region = np.zeros(fake.mask.shape, np.uint8)
    cv2.fillConvexPoly(region, cv2.convexHull(np.round(centre + (points - centre) * 1.35).astype(np.int32)), 1)
    assert not np.any((fake.mask > 0) & (region == 0))  # the mask stays on the face (and its ring)


def test_mouth_mask_stays_in_the_mouth_region_and_covers_the_lips(faces) -> None:
    fake = _mouth(faces)
    lm = faces["target_lm"]
    width = float(np.linalg.norm(lm[54] - lm[48]))
    x0, x1 = lm[48:68, 0].min() - 0.45 * width, lm[48:68, 0].max() + 0.45 * width
    y0, y1 = lm[31:36, 1].min(), lm[8, 1]  # from the nose base to the chin
    ys, xs = np.nonzero(fake.mask > 0)
    assert xs.min() >= x0 and xs.max() <= x1 and ys.min() >= y0 and ys.max() <= y1
    for index in (51, 57, 62, 66):  # the target's lips are inside the replaced region
        x, y = np.round(lm[index]).astype(int)
        assert fake.mask[y, x] > 0.9, index


def _jitter(family: Callable, faces: dict, frames: int = 10) -> float:
    """Mean absolute change between consecutive output frames when only the driver's landmarks jitter."""
    rng = np.random.default_rng(0)
    outputs = []
    for _ in range(frames):
        noisy = faces["driver_lm"] + rng.normal(0, 1.5, faces["driver_lm"].shape).astype(np.float32)
        outputs.append(family(faces["target"], faces["target_lm"], faces["driver"], noisy).image.astype(np.float32))
    return float(np.mean([np.abs(b - a).mean() for a, b in itertools.pairwise(outputs)]))


@pytest.mark.parametrize(
    "make",
    [
        lambda on: Reenactor(ReenactOptions(smoothing=on)),
        lambda on: MouthReplacer(MouthOptions(smoothing=on)),
    ],
    ids=["reenact", "mouth"],
)
def test_output_is_temporally_smooth(faces, make) -> None:
    smooth, raw = _jitter(make(True), faces), _jitter(make(False), faces)
    assert smooth < 0.4 * raw and smooth < 1.0, (smooth, raw)  # 8-bit levels per pixel per frame


def test_reset_starts_a_new_video(faces) -> None:
    family = Reenactor()
    first = family(faces["target"], faces["target_lm"], faces["driver"], faces["driver_lm"]).image
    family(faces["target"], faces["target_lm"], faces["source"], faces["source_lm"])
    family.reset()
    again = family(faces["target"], faces["target_lm"], faces["driver"], faces["driver_lm"]).image
    assert np.array_equal(first, again)


def test_pick_driver_prefers_the_nearest_pose_and_shape(faces) -> None:
    target = faces["target_lm"]
    centre = target.mean(0)
    tilted = (target - centre) @ np.array([[0.98, -0.17], [0.17, 0.98]], np.float32).T * 1.4 + centre + 30
    drivers = np.stack([faces["source_lm"], faces["driver_lm"], tilted])  # [3,68,2]
    assert pick_driver(target, drivers) == 2  # same shape, only moved, rotated and scaled
    with pytest.raises(FaceswapError):
        pick_driver(target, np.zeros((0, 68, 2)))


def test_bad_options_are_refused() -> None:
    with pytest.raises(ConfigError):
        MeshSwapOptions(color="sepia")
    with pytest.raises(ConfigError):
        ReenactOptions(regions=("mouth", "ears"))
    with pytest.raises(ConfigError):
        MouthOptions(margin=3.0)


def test_mesh_swap_keeps_the_sources_hair_out_of_the_outer_band(faces) -> None:
    """A dark fringe over the source's forehead is not face texture: the skin gate leaves the target's own
    pixels there (gate off: the fringe is pasted, the dark streak seen on real footage)."""
    source = faces["source"].copy()
    lm = faces["source_lm"]
    points = face_points(lm)
    fringe = np.zeros(source.shape[:2], np.uint8)
    cv2.fillConvexPoly(fringe, np.round(np.concatenate([points[68:], lm[17:27]])).astype(np.int32), 1)
    fringe[int(lm[17:27, 1].min()) - 3 :] = 0  # the forehead above the brows only
    source[fringe > 0] = (35, 28, 22)
    dst = face_points(faces["target_lm"])
    box = bounding_box(dst, faces["target"].shape)
    warped, covered = warp_mesh(source, points, dst, face_simplices(), box)
    dark = np.zeros(faces["target"].shape[:2], bool)
    dark[box.slices] = covered & (warped.sum(axis=2) < 150)
    dark = cv2.erode(dark.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0  # away from the soft edges
    gated = mesh_swap(source, lm, faces["target"], faces["target_lm"], MeshSwapOptions())
    pasted = mesh_swap(source, lm, faces["target"], faces["target_lm"], MeshSwapOptions(skin_gate=0.0))
    dark &= pasted.mask > 0.99  # where the ungated swap pastes the fringe fully
    assert dark.sum() > 100 and gated.mask[dark].max() < 0.05
    assert np.array_equal(gated.image[dark], faces["target"][dark])


def test_mesh_swap_pool_offers_the_mirror_image_of_each_face(faces) -> None:
    """A driver's mirror is a face turned the other way: dlib finds the mirrored landmarks on the mirrored
    pixels, mirroring twice is the identity, and a target turned the other way picks the mirror."""
    from faceswap.synth.methods.drivers import face_region, mirrored
    from faceswap.synth.targets import TargetFrame

    tf = TargetFrame("b", "b/photo", "photo.png", 0, 0.0, faces["source"], faces["source_lm"], False)
    driver = face_region(tf)
    flipped = mirrored(driver)
    found = FaceMeter().measure(flipped.image)
    assert found is not None and np.abs(found.landmarks - flipped.landmarks).mean() < 2.5
    twice = mirrored(flipped)
    assert not twice.mirrored and np.allclose(twice.landmarks, driver.landmarks)
    assert np.array_equal(twice.image, driver.image)
    turned_other_way = mirrored(face_region(tf)).frame_landmarks + 40.0  # same face, mirrored, elsewhere
    assert pick_driver(turned_other_way, np.stack([driver.frame_landmarks, flipped.frame_landmarks])) == 1


def _uniform_lab(lab: tuple[float, float, float], side: int = 32) -> np.ndarray:
    pixel = cv2.cvtColor(np.array([[lab]], np.float32), cv2.COLOR_LAB2RGB)
    return np.repeat(np.repeat(np.clip(np.rint(pixel * 255), 0, 255).astype(np.uint8), side, 0), side, 1)


def test_mouth_colour_match_takes_the_targets_tint_from_a_near_neutral_skin() -> None:
    """The dev clips' person3 has near-neutral skin (b 1.3) and person4 a warm one (b 16): a ratio of the b means
    (clipped at 2) left person3's mouth region pale violet on person4's face; a shift of a and b does not."""
    source, target = _uniform_lab((67.3, 20.4, 1.3)), _uniform_lab((67.4, 23.6, 16.4))
    colour = SmoothedColour(0.0, "gain_shift")
    every = np.ones(source.shape[:2], bool)
    colour.update(source, every, target, every)
    out = cv2.cvtColor(colour.apply(source).astype(np.float32) / 255, cv2.COLOR_RGB2LAB).reshape(-1, 3).mean(0)
    assert np.abs(out - [67.4, 23.6, 16.4]).max() < 1.5, out
    dark = cv2.cvtColor(colour.apply(_uniform_lab((8.0, 0.0, 0.0))).astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    assert np.hypot(*dark.reshape(-1, 3).mean(0)[1:]) < 5.0  # a mouth's dark interior is not tinted blue/red


def test_mouth_follows_the_targets_shading_without_a_halo(faces) -> None:
    """The target lit from one side and the driver from the other: with local shading the replaced region's
    edge matches the target around it on both sides (a global match alone leaves it light on one side and
    dark on the other: 40 grey levels on the sample, 9 with it)."""
    w = faces["target"].shape[1]
    light = np.linspace(1.25, 0.7, w, dtype=np.float32)[None, :, None]
    target = np.clip(faces["target"] * light, 0, 255).astype(np.uint8)
    driver = np.clip(faces["driver"] * light[:, ::-1], 0, 255).astype(np.uint8)
    middle = int(faces["target_lm"][48:68, 0].mean())

    def edge_bias(shading: float) -> float:
        """Largest mean colour difference fake - target on either half of a 4 px band inside the seam."""
        fake = MouthReplacer(MouthOptions(shading=shading))(target, faces["target_lm"], driver, faces["driver_lm"])
        inside = (fake.mask > 0.9).astype(np.uint8)
        edge = (inside - cv2.erode(inside, np.ones((9, 9), np.uint8))) > 0
        diff = fake.image.astype(np.float32) - target.astype(np.float32)
        halves = (diff[:, :middle][edge[:, :middle]], diff[:, middle:][edge[:, middle:]])
        return max(float(np.abs(half.mean(0)).max()) for half in halves)

    off, on = edge_bias(0.0), edge_bias(MouthOptions().shading)
    assert on < 12.0 and on < 0.4 * off, (on, off)
