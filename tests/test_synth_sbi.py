"""Self-blended images change pixels only through the (deformed, feathered) landmark mask."""

from __future__ import annotations

import numpy as np

from faceswap.synth.sbi import landmark_hull, self_blend, self_blend_batch
from faceswap.synth.toy import face_template, sample_photos, toy_frame


def test_self_blend_changes_only_masked_pixels() -> None:
    rng = np.random.default_rng(0)
    real = toy_frame(sample_photos()[0], (150, 20, 200), 128, rng)
    landmarks = face_template() * 128
    changed_any, background_kept = False, 0
    for seed in range(8):
        blended, mask = self_blend(real, landmarks, np.random.default_rng(seed))
        assert blended.shape == real.shape and blended.dtype == np.uint8
        assert mask.dtype == np.float32 and mask.min() >= 0.0 and mask.max() <= 1.0
        outside = mask == 0
        assert outside.any()
        # half the time the transformed copy is the background (as in SBI); otherwise it must be untouched
        background_kept += int(np.array_equal(blended[outside], real[outside]))
        diff = np.abs(blended.astype(int) - real.astype(int)).sum(-1)
        changed_any |= bool((diff[mask >= 0.5 * mask.max()] > 0).mean() > 0.5)
        # the mask follows the face: most of its weight lies near the landmark hull
        hull = landmark_hull(landmarks, 128)
        assert (mask * hull).sum() > 0.6 * mask.sum()
    assert changed_any and 1 <= background_kept <= 7


def test_batch_is_reproducible_with_a_seed() -> None:
    crops = np.stack([toy_frame(sample_photos()[1], (120, 60, 300), 64, np.random.default_rng(i)) for i in range(3)])
    lms = np.stack([face_template() * 64] * 3)
    a, ma = self_blend_batch(crops, lms, np.random.default_rng(7))
    b, mb = self_blend_batch(crops, lms, np.random.default_rng(7))
    assert np.array_equal(a, b) and np.array_equal(ma, mb) and a.shape == crops.shape and ma.shape == (3, 64, 64)
