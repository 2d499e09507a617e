"""Face2Face analogue: expression reenactment that keeps the target's identity.

Each face is brought into mean-face units by a similarity fitted on its rigid points (nose, eye corners,
upper jaw). A person's expression is their shape's deviation from their own neutral shape, a running mean
over the video's frames pulled toward the mean face (`neutral_prior` frames' weight) until enough frames are
seen. The target's shape becomes its neutral plus the driver's deviation (mouth, jaw, eyes, brows), smoothed
over time by a One-Euro filter, and the target's own pixels are moved there by a landmark mesh warp that is
anchored on a ring around the face; the mouth interior, which the target frame does not have, is taken from
the driving frame and colour-matched. Cues it leaves: a mouth interior from another person and lighting,
texture stretched around the moved lips and chin, and the expression's timing from another video.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.face.align import invert_matrix, transform_points
from faceswap.face.masks import feather
from faceswap.face.mean_face import MEAN_FACE_68
from faceswap.face.smoothing import OneEuroFilter, interocular
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.families.mesh import (
    Box,
    SmoothedColour,
    bounding_box,
    composite,
    face_points,
    face_simplices,
    face_size,
    fill_polygon,
    to_canonical,
    warp_mesh,
    warp_within_ring,
)
from faceswap.utils.errors import ConfigError

#: the landmarks an expression moves, per region
EXPRESSION_REGIONS: dict[str, tuple[int, ...]] = {
    "mouth": tuple(range(48, 68)),
    "jaw": tuple(range(3, 14)),
    "eyes": tuple(range(36, 48)),
    "brows": tuple(range(17, 27)),
}
_CANONICAL_IOD = interocular(MEAN_FACE_68)  # the One-Euro filter works in inter-ocular units


@dataclass(frozen=True)
class ReenactOptions:
    strength: float = 1.0  # 0 keeps the target's expression, 1 takes the driver's
    regions: tuple[str, ...] = ("mouth", "jaw", "eyes", "brows")  # which parts of the expression move
    neutral_prior: float = 25.0  # weight (in frames) of the mean face in each person's running neutral shape
    smoothing: bool = True  # One-Euro filter on the transferred expression
    min_cutoff: float = 1.0  # One-Euro: lower = smoother at rest (Hz)
    beta: float = 1.0  # One-Euro: higher = less lag on fast motion
    fps: float = 25.0  # frame rate the filter assumes
    mouth_interior: bool = True  # paste the driver's mouth interior between the moved lips
    margin: float = 0.3  # the warp's fixed ring lies this fraction of the face radius outside the outline
    feather: float = 0.03  # soft edge of the mask, fraction of the face size
    color_momentum: float = 0.9  # EMA weight of past frames' colour statistics (mouth interior)

    def __post_init__(self) -> None:
        unknown = [r for r in self.regions if r not in EXPRESSION_REGIONS]
        if unknown:
            raise ConfigError(f"unknown reenact region(s) {unknown}", f"choose from: {', '.join(EXPRESSION_REGIONS)}")
        if not 0.05 <= self.margin <= 1.0 or self.fps <= 0 or self.neutral_prior < 0:
            raise ConfigError("reenact margin/fps/neutral_prior out of range", "use margin in [0.05, 1], fps > 0")


class _Neutral:
    """Running mean of a person's canonical shape [68,2], starting from the mean face with weight `prior`."""

    def __init__(self, prior: float) -> None:
        self.prior = float(prior)
        self.reset()

    def reset(self) -> None:
        self._sum, self._count = MEAN_FACE_68.astype(np.float64) * self.prior, self.prior

    def __call__(self, canonical: np.ndarray) -> np.ndarray:
        self._sum, self._count = self._sum + canonical, self._count + 1.0
        return self._sum / self._count


class Reenactor:
    """One per target video: the target's face re-shaped to the driving frames' expressions, smoothly."""

    def __init__(self, opts: ReenactOptions | None = None) -> None:
        self.opts = opts or ReenactOptions()
        weights = np.zeros(68)
        for region in self.opts.regions:
            weights[list(EXPRESSION_REGIONS[region])] = 1.0
        self._weights = weights[:, None] * self.opts.strength  # [68,1]
        self._target, self._driver = _Neutral(self.opts.neutral_prior), _Neutral(self.opts.neutral_prior)
        self._filter = OneEuroFilter(self.opts.min_cutoff, self.opts.beta)
        self._colour = SmoothedColour(self.opts.color_momentum, "lightness")
        self._frame = 0

    def reset(self) -> None:
        self._target.reset()
        self._driver.reset()
        self._filter.reset()
        self._colour.reset()
        self._frame = 0

    def expression(self, target_lm: np.ndarray, driving_lm: np.ndarray) -> np.ndarray:
        """The target's landmarks [68,2] with the driver's expression (advances the temporal state)."""
        target_c, matrix = to_canonical(target_lm)
        driver_c, _ = to_canonical(driving_lm)
        offset = (driver_c - self._driver(driver_c)) - (target_c - self._target(target_c))  # [68,2]
        offset = offset * self._weights
        if self.opts.smoothing:
            offset = self._filter(offset, self._frame / self.opts.fps, _CANONICAL_IOD)
        self._frame += 1
        centre = target_c.mean(0)
        room = np.linalg.norm(target_c - centre, axis=1, keepdims=True) * self.opts.margin * 0.6  # [68,1]
        length = np.linalg.norm(offset, axis=1, keepdims=True)
        offset[:17] *= np.minimum(1.0, room / np.maximum(length, 1e-9))[:17]  # the jaw stays inside the ring
        return transform_points(target_c + offset, invert_matrix(matrix)).astype(np.float32)

    def __call__(
        self, target_image: np.ndarray, target_lm: np.ndarray, driving_image: np.ndarray, driving_lm: np.ndarray
    ) -> FakeFrame:
        """target frame [H,W,3] uint8 + landmarks [68,2], driving frame [Hd,Wd,3] + landmarks -> the reenacted frame."""
        moved = self.expression(target_lm, driving_lm)
        patch, ring, box = warp_within_ring(target_image, target_lm, moved, self.opts.margin)
        if self.opts.mouth_interior:
            self._update_colour(target_image, target_lm, driving_image, driving_lm)
            patch = self._paste_interior(patch, box, moved, driving_image, driving_lm)
        mask = feather(ring, round(self.opts.feather * face_size(target_lm)))
        image, full = composite(target_image, patch, mask, box)
        return FakeFrame(image, full)

    def _update_colour(self, target: np.ndarray, target_lm: np.ndarray, driver: np.ndarray, driver_lm: np.ndarray):
        """Colour statistics of the two faces' hulls: the driver's interior is lit like the target's face."""
        d_box, t_box = bounding_box(driver_lm, driver.shape), bounding_box(target_lm, target.shape)
        d_sel, t_sel = fill_polygon(driver_lm, d_box) > 0, fill_polygon(target_lm, t_box) > 0
        self._colour.update(driver[d_box.slices], d_sel, target[t_box.slices], t_sel)

    def _paste_interior(
        self, patch: np.ndarray, box: Box, moved: np.ndarray, driver: np.ndarray, driver_lm: np.ndarray
    ) -> np.ndarray:
        """The driver's mouth interior, warped between the target's moved inner lips, into `patch` [h,w,3]."""
        inner = moved[60:68]  # [8,2]
        hole = fill_polygon(inner, box, convex=False)  # [h,w]
        if hole.sum() < 4:
            return patch
        mouth_box = bounding_box(inner - box.origin, patch.shape, pad=3)  # in patch coordinates
        src, dst = face_points(driver_lm), face_points(moved) - box.origin
        warped, covered = warp_mesh(driver, src, dst, face_simplices(), mouth_box)
        warped = self._colour.apply(warped)
        local = hole[mouth_box.slices] * covered
        alpha = (cv2.GaussianBlur(local, (3, 3), 0.8) * local)[..., None]
        region = patch[mouth_box.slices].astype(np.float32)
        out = patch.copy()
        out[mouth_box.slices] = np.clip(np.rint(alpha * warped + (1.0 - alpha) * region), 0, 255).astype(np.uint8)
        return out
