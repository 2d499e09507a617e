"""Data and augmentation: random warp, determinism per sample number, colour transfer, rank split; EMA."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

import numpy as np
import torch

from faceswap.data.augment import AugmentConfig, Augmenter, random_warp
from faceswap.data.datamodule import StepSampler, SwapDataModule
from tests.train_faces import sample_faces, sample_photo


def _face() -> np.ndarray:
    import cv2

    return cv2.resize(sample_photo("a")[0:256, 128:384], (64, 64), interpolation=cv2.INTER_AREA)


def test_random_warp_moves_pixels_but_keeps_the_border() -> None:
    face = _face()
    warped = random_warp(face, np.random.default_rng(0), strength=1.0)
    diff = np.abs(warped.astype(int) - face).mean(axis=2)
    assert warped.shape == face.shape and diff.mean() > 2
    assert diff[0, :].mean() < 0.5 * diff[16:48, 16:48].mean()  # border control points are fixed
    np.testing.assert_array_equal(random_warp(face, np.random.default_rng(0), strength=0.0), face)


def test_augmenter_is_a_pure_function_of_its_seed() -> None:
    face, mask = _face(), np.ones((64, 64), np.float32)
    aug = Augmenter(AugmentConfig(blur=0.5, jpeg=0.5))
    a1, t1, _ = aug(face, [mask], seed=7)
    a2, t2, _ = aug(face, [mask], seed=7)
    a3, _, _ = aug(face, [mask], seed=8)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(t1, t2)
    assert not np.array_equal(a1, a3)
    assert not np.array_equal(a1, t1)  # the input is warped/degraded, the target is not


def test_masks_warped_together_move_as_each_would_alone() -> None:
    """The masks go through the affine as one [R,R,M] array: the same pixels as M separate warps."""
    from faceswap.data.augment import build_geometric

    rng = np.random.default_rng(3)
    face = _face()
    masks = [(rng.random((64, 64)) > 0.5).astype(np.float32), rng.random((64, 64), dtype=np.float32)]
    masks.append(np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64))
    cfg = AugmentConfig()
    augment, geometric = Augmenter(cfg), build_geometric(cfg)
    for seed in range(8):
        _, _, together = augment(face, masks, seed=seed)
        geometric_seed = int(np.random.default_rng(seed).integers(2**31))  # Augmenter's first draw without a reference
        for mask, warped in zip(masks, together, strict=True):
            geometric.set_random_seed(geometric_seed)
            alone = geometric(image=face, mask=mask)["mask"]
            assert warped.dtype == np.float32 and warped.flags.c_contiguous
            np.testing.assert_array_equal(warped, alone)
        assert seed > 0 or any(not np.array_equal(w, m) for w, m in zip(together, masks, strict=True))


def test_colour_transfer_moves_statistics_toward_the_other_identity() -> None:
    face, mask = _face(), np.ones((64, 64), np.float32)
    reference = np.zeros_like(face)
    reference[..., 2] = 200  # a blue face
    cfg = replace(
        AugmentConfig(),
        ct_mode="rct",
        ct_prob=1.0,
        random_warp=False,
        flip=0.0,
        rotate=0.0,
        scale=0.0,
        shift=0.0,
        brightness=0.0,
        contrast=0.0,
        saturation=0.0,
        hue=0.0,
        blur=0.0,
        jpeg=0.0,
    )
    _, target, _ = Augmenter(cfg)(face, [mask], seed=0, reference=reference)
    assert target[..., 2].mean() > face[..., 2].mean() + 30


def test_dataset_items_depend_only_on_the_sample_number() -> None:
    dm = SwapDataModule(str(sample_faces()), ["a", "b"], 64, AugmentConfig(ct_mode="rct"), batch_size=2, seed=3)
    ds1, ds2 = dm.dataset(), dm.dataset()
    item = ds1[41]
    for side in ("a", "b"):
        for key, value in item[side].items():
            torch.testing.assert_close(value, ds2[41][side][key])
    assert item["a"]["input"].shape == (3, 64, 64) and item["a"]["eyes"].shape == (1, 64, 64)
    assert not torch.equal(item["a"]["input"], ds1[42]["a"]["input"])


def test_batches_are_the_same_made_in_a_worker_or_in_the_training_process() -> None:
    """trainer=cpu loads in the training process on 2 CPUs (faceswap.utils.threads.auto_workers): that must
    change the speed only, never what the model sees."""
    batches = []
    for workers in (0, 1):
        dm = SwapDataModule(str(sample_faces()), ["a", "b"], 64, AugmentConfig(), batch_size=3, num_workers=workers)
        batches.append(list(islice(iter(dm.train_dataloader()), 2)))
    for made_here, made_in_worker in zip(*batches, strict=True):
        for side in ("a", "b"):
            for key, value in made_here[side].items():
                assert torch.equal(value, made_in_worker[side][key]), (side, key)


def test_sampler_splits_sample_numbers_across_ranks_from_the_resume_point() -> None:
    rank0 = list(islice(StepSampler(10, 0, 2), 4))
    rank1 = list(islice(StepSampler(10, 1, 2), 4))
    assert rank0 == [10, 12, 14, 16] and rank1 == [11, 13, 15, 17]


def test_ema_half_life_ramps_up_with_images_seen() -> None:
    from faceswap.training.ema import ema_beta

    assert ema_beta(8, 500.0) == 0.5 ** (8 / 500)
    assert ema_beta(8, 500.0, images_seen=800, rampup=0.05) == 0.5 ** (8 / 40)  # capped at 5 % of 800
    assert ema_beta(8, 500.0, images_seen=10**6, rampup=0.05) == 0.5 ** (8 / 500)


def test_ema_note_warns_only_when_the_ramp_up_caps_the_whole_run() -> None:
    from faceswap.training.ema import ema_halflife_note

    note = ema_halflife_note(8000.0, 0.05, 40_000, "halflife", "module.ema_rampup")  # cpu_hour's 5,000 steps of 8
    assert note is not None and "never reached" in note and "2,000" in note and "module.ema_rampup" in note
    assert "raise module.ema_rampup to 0.2 " in note  # the cap grows with the ramp-up: 0.2 x 40,000 = 8,000
    assert ema_halflife_note(2000.0, 0.05, run_images=40_000) is None  # reached on the last step
    assert ema_halflife_note(8000.0, 0.0, run_images=40_000) is None  # no ramp-up: the half-life applies


def test_the_ema_note_is_for_settings_the_user_gave(tmp_path) -> None:
    """A budget-sized cpu_hour (and its finetune) is shorter than the experiment's half-life was set for: no note
    telling the user to change a setting they never touched; a half-life given on the command line gets one."""
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig

    from faceswap.cli import config_dir
    from faceswap.commands import training_config as build

    sized = ["experiment=cpu_hour", "train.steps=1000", "model.generator.dec_dims=8"]
    try:
        for overrides, noted in ((sized, False), ([*sized, "module.ema_halflife_images=4000"], True)):
            with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
                cfg = compose("train", [f"paths.root_dir={tmp_path}", *overrides], return_hydra_config=True)
            HydraConfig.instance().set_config(cfg)
            plan = build.phase_plan(cfg, cfg.phases, int(cfg.train.steps))
            module = build.build_module(cfg, plan, list(cfg.data.pair))
            assert module.ema_halflife_images > module.ema_rampup * 8_000  # capped for the whole run either way
            assert bool(build.ema_notes(module, plan)) == noted, overrides
    finally:
        HydraConfig.instance().cfg = None  # type: ignore[assignment]
