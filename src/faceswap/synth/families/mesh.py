"""Shared geometry of the training-free families: a fixed triangle mesh over the 68 landmarks plus forehead
points, its piecewise-affine warp between two frames, region masks in a frame's bounding box, and a
temporally smoothed Reinhard colour match.

The triangulation is computed once on the mean face, not per frame: a per-frame Delaunay flips edges as the
expression changes and the warp would pop between frames. Work happens in the destination's bounding box
(`Box`) so a 512 px frame costs what the face costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from scipy.spatial import ConvexHull, Delaunay

from faceswap.face.align import transform_points, umeyama
from faceswap.face.masks import forehead_points
from faceswap.face.mean_face import MEAN_FACE_68
from faceswap.postprocess.blend import blend

FOREHEAD_LIFT = 0.45  # forehead points: brows lifted by this x half the brow-to-chin distance
#: points that move with the skull, not the expression: nose bridge and base, eye corners, upper jaw
RIGID_POINTS = (0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45)


@dataclass(frozen=True)
class Box:
    """Integer pixel box [x0,x1) x [y0,y1) inside a frame."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def origin(self) -> np.ndarray:
        return np.array([self.x0, self.y0], np.float64)

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0


def bounding_box(points: np.ndarray, frame_shape: tuple[int, ...], pad: int = 2) -> Box:
    """The frame-clipped box around `points` [K,2] grown by `pad` px."""
    lo = np.floor(np.asarray(points).min(0)).astype(int) - pad
    hi = np.ceil(np.asarray(points).max(0)).astype(int) + pad + 1
    h, w = frame_shape[:2]
    return Box(max(0, lo[0]), max(0, lo[1]), min(w, max(hi[0], 1)), min(h, max(hi[1], 1)))


def face_points(landmarks: np.ndarray) -> np.ndarray:
    """The 68 landmarks plus 10 forehead points [78,2]: the mesh's vertices."""
    lm = np.asarray(landmarks, np.float64)
    return np.concatenate([lm, forehead_points(lm, FOREHEAD_LIFT)])


@lru_cache(maxsize=1)
def face_simplices() -> np.ndarray:
    """Triangles [T,3] over face_points, from the mean face (fixed topology across frames and people)."""
    return Delaunay(face_points(MEAN_FACE_68)).simplices.copy()


@lru_cache(maxsize=1)
def _outline_indices() -> np.ndarray:
    """Indices of face_points on the mean face's convex hull (jaw and forehead), in order."""
    return ConvexHull(face_points(MEAN_FACE_68)).vertices.copy()


def ring_points(points78: np.ndarray, margin: float) -> np.ndarray:
    """The face outline pushed out from the face centre by `margin` [R,2]: fixed anchors around a warp."""
    outline = points78[_outline_indices()]
    centre = points78[:68].mean(0)
    return centre + (outline - centre) * (1.0 + margin)


@lru_cache(maxsize=4)
def ringed_simplices(margin: float) -> np.ndarray:
    """Triangles [T,3] over face_points + ring_points(margin), from the mean face."""
    pts = face_points(MEAN_FACE_68)
    return Delaunay(np.concatenate([pts, ring_points(pts, margin)])).simplices.copy()


def warp_mesh(
    image: np.ndarray, src: np.ndarray, dst: np.ndarray, simplices: np.ndarray, box: Box
) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-affine warp: the pixels of `image` under the mesh `src` [K,2] drawn where the mesh `dst` [K,2]
    lies inside `box` (destination frame px). Returns (patch [h,w,C] of the box, covered [h,w] bool)."""
    h, w = box.shape
    dst_local = np.asarray(dst, np.float64) - box.origin
    labels = np.full((h, w), -1, np.int32)
    for k, tri in enumerate(simplices):
        cv2.fillConvexPoly(labels, np.round(dst_local[tri]).astype(np.int32), int(k))
    covered = labels >= 0
    ones = np.ones((len(simplices), 3, 1))
    # per triangle, the affine map dst -> src: [x y 1] @ A = src, A [T,3,2] (pinv copes with slivers)
    affine = np.linalg.pinv(np.concatenate([dst_local[simplices], ones], axis=2)) @ np.asarray(src)[simplices]
    ys, xs = np.nonzero(covered)
    pixels = np.stack([xs, ys, np.ones_like(xs)], axis=-1).astype(np.float64)  # [P,3]
    mapped = np.einsum("pi,pij->pj", pixels, affine[labels[ys, xs]]).astype(np.float32)  # [P,2]
    map_x = np.full((h, w), -1.0, np.float32)
    map_y = np.full((h, w), -1.0, np.float32)
    map_x[ys, xs], map_y[ys, xs] = mapped[:, 0], mapped[:, 1]
    patch = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return patch, covered


def fill_polygon(points: np.ndarray, box: Box, convex: bool = True) -> np.ndarray:
    """[h,w] float32 in {0,1}: the (convex hull of the) polygon `points` [K,2] frame px, inside `box`."""
    local = np.round(np.asarray(points, np.float64) - box.origin).astype(np.int32)
    mask = np.zeros(box.shape, np.uint8)
    if convex:
        cv2.fillConvexPoly(mask, cv2.convexHull(local), 1)
    else:
        cv2.fillPoly(mask, [local], 1)
    return mask.astype(np.float32)


def face_size(landmarks: np.ndarray) -> float:
    """A face's scale in px: the diagonal of its 68-point box."""
    lm = np.asarray(landmarks, np.float64)
    return float(np.linalg.norm(np.ptp(lm, axis=0)))


def to_canonical(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The face in mean-face units, by a similarity fitted on the rigid points: ([68,2], [2,3] frame -> canonical)."""
    lm = np.asarray(landmarks, np.float64)
    idx = list(RIGID_POINTS)
    matrix = umeyama(lm[idx], MEAN_FACE_68[idx])
    return transform_points(lm, matrix), matrix


def composite(
    background: np.ndarray, patch: np.ndarray, mask: np.ndarray, box: Box, mode: str = "alpha"
) -> tuple[np.ndarray, np.ndarray]:
    """Blend `patch` [h,w,3] over `background` [H,W,3] in `box` with blender `mode`; pixels where mask == 0
    stay bit-identical. Returns (frame [H,W,3] uint8, frame mask [H,W] float32)."""
    out = background.copy()
    full = np.zeros(background.shape[:2], np.float32)
    out[box.slices] = blend(mode, patch, background[box.slices], mask)
    full[box.slices] = mask
    return out, full


class SmoothedColour:
    """Reinhard colour match (Lab mean/std) whose statistics are an exponential moving average over frames,
    so the matched colour of a video does not flicker with the per-frame statistics. Mode "gain_shift"
    scales L by the ratio of the means (dark stays dark) and shifts a and b by the difference of the means
    (a ratio of chroma means explodes when one skin is near-neutral: b 1.3 -> 16 on the dev clips);
    "lightness" scales only L (a mouth's interior lit like the target's face)."""

    MODES = ("reinhard", "gain_shift", "lightness")

    def __init__(self, momentum: float, mode: str = "reinhard") -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown colour mode {mode}")
        self.momentum, self.mode = float(momentum), mode
        self._stats: np.ndarray | None = None  # [4,3]: source mean, std, target mean, std

    def reset(self) -> None:
        self._stats = None

    def update(self, source: np.ndarray, source_sel: np.ndarray, target: np.ndarray, target_sel: np.ndarray) -> None:
        """Fold in this frame's statistics of source[source_sel] and target[target_sel] (uint8 [h,w,3], bool)."""
        if source_sel.sum() < 16 or target_sel.sum() < 16:
            return
        s_px, t_px = _lab(source)[source_sel], _lab(target)[target_sel]
        stats = np.stack([s_px.mean(0), s_px.std(0), t_px.mean(0), t_px.std(0)])
        if self._stats is not None:
            stats = self.momentum * self._stats + (1.0 - self.momentum) * stats
        self._stats = stats

    def apply(self, image: np.ndarray) -> np.ndarray:
        """image [h,w,3] uint8 in the source's colours -> in the target's (unchanged before any update)."""
        if self._stats is None:
            return image.copy()
        s_mu, s_sd, t_mu, t_sd = self._stats
        lab = _lab(image)
        if self.mode != "reinhard":  # lightness multiplicative: dark pixels stay dark
            out = lab.copy()
            out[..., 0] *= np.clip(t_mu[0] / max(float(s_mu[0]), 1e-3), 0.5, 2.0)
            if self.mode == "gain_shift":  # a dark mouth interior takes little of the tint, never a saturated one
                out[..., 1:] += (t_mu[1:] - s_mu[1:]) * _tint_weight(lab[..., :1], float(s_mu[0]))
        else:
            out = (lab - s_mu) * (t_sd / np.maximum(s_sd, 1e-6)) + t_mu
        out[..., 0] = np.clip(out[..., 0], 0, 100)
        rgb = cv2.cvtColor(out.astype(np.float32), cv2.COLOR_LAB2RGB)
        return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def match_shading(
    patch: np.ndarray, patch_skin: np.ndarray, target: np.ndarray, target_skin: np.ndarray, sigma: float
) -> np.ndarray:
    """patch [h,w,3] uint8 re-lit like `target` [h,w,3]: L scaled by the ratio and a/b shifted by the
    difference of their local Lab means over skin (bool [h,w] each; normalised Gaussian averages of width
    `sigma` px). A global match leaves a light/dark halo when the two faces are lit from different sides;
    this follows the target's shading across the region."""
    k = 2 * int(3 * sigma) + 1

    def local_mean(lab: np.ndarray, sel: np.ndarray) -> np.ndarray:  # [h,w,3]
        weight = cv2.GaussianBlur(sel.astype(np.float32), (k, k), sigma)[..., None]
        total = cv2.GaussianBlur(lab * sel[..., None], (k, k), sigma)
        return total / np.maximum(weight, 1e-3)

    if patch_skin.sum() < 16 or target_skin.sum() < 16:
        return patch
    lab = _lab(patch)  # [h,w,3]
    here, there = local_mean(lab, patch_skin), local_mean(_lab(target), target_skin)
    skin_l = np.maximum(here[..., :1], 1.0)
    lab[..., 1:] += (there[..., 1:] - here[..., 1:]) * _tint_weight(lab[..., :1], skin_l)
    lab[..., 0] = np.clip(lab[..., 0] * np.clip(there[..., 0] / skin_l[..., 0], 0.5, 2.0), 0, 100)
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def _tint_weight(lightness: np.ndarray, skin_lightness: np.ndarray | float) -> np.ndarray:
    """How much of a skin tint shift a pixel takes: all at skin lightness and above, less as it darkens (a fixed
    a/b shift on a near-black pixel is a saturated colour)."""
    return np.clip(lightness / np.maximum(skin_lightness, 1.0), 0.0, 1.0)


def _lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def warp_within_ring(
    image: np.ndarray, lm_from: np.ndarray, lm_to: np.ndarray, margin: float
) -> tuple[np.ndarray, np.ndarray, Box]:
    """Re-shape the face of `image` from landmarks `lm_from` to `lm_to` (both [68,2], same frame), leaving
    everything beyond a ring `margin` x the face radius outside it untouched. Returns (patch [h,w,3],
    ring hull [h,w] float32 in {0,1}, box)."""
    src, dst = face_points(lm_from), face_points(lm_to)  # [78,2]
    ring = ring_points(src, margin)  # [R,2] fixed anchors
    src_all, dst_all = np.concatenate([src, ring]), np.concatenate([dst, ring])
    box = bounding_box(ring, image.shape)
    patch, covered = warp_mesh(image, src_all, dst_all, ringed_simplices(margin), box)
    region = image[box.slices]
    patch[~covered] = region[~covered]
    return patch, fill_polygon(ring, box) * covered, box
