"""A toy labelled dataset built without a generator: for tests and the CPU-suite timing benchmark.

Reals are jittered crops of the two embedded sample photos with a parametric 68-point face
template as landmarks; "fakes" replace the template's face region with a generator-like
reconstruction (down-sampled, nearest up-sampled, smoothed, colour-shifted) through a feathered
mask. It exercises the whole bench path in seconds; it is not a substitute for real swaps.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from faceswap.synth.sbi import deform_mask, landmark_hull
from faceswap.synth.writer import DatasetWriter


def face_template() -> np.ndarray:
    """Approximate iBUG 68-point layout in unit crop coordinates -> [68,2]."""
    t = np.linspace(0, 1, 17)
    jaw = np.c_[0.5 - 0.36 * np.cos(np.pi * t), 0.40 + 0.50 * np.sin(np.pi * t)]
    bx = np.linspace(0.22, 0.44, 5)
    brow_l = np.c_[bx, 0.33 - 0.03 * np.sin(np.pi * (bx - 0.22) / 0.22)]
    brow_r = np.c_[1.0 - bx[::-1], brow_l[::-1, 1]]
    bridge = np.c_[np.full(4, 0.5), np.linspace(0.40, 0.58, 4)]
    nose = np.c_[np.linspace(0.42, 0.58, 5), [0.62, 0.635, 0.64, 0.635, 0.62]]

    def eye(cx: float) -> np.ndarray:
        ang = np.deg2rad([180, 120, 60, 0, -60, -120])
        return np.c_[cx + 0.06 * np.cos(ang), 0.42 - 0.025 * np.sin(ang)]

    def lips(rx: float, ry: float, n: int) -> np.ndarray:
        ang = np.linspace(np.pi, -np.pi, n, endpoint=False)
        return np.c_[0.5 + rx * np.cos(ang), 0.75 - ry * np.sin(ang)]

    pts = [jaw, brow_l, brow_r, bridge, nose, eye(0.35), eye(0.65), lips(0.14, 0.05, 12), lips(0.09, 0.02, 8)]
    return np.concatenate(pts).astype(np.float32)


def sample_photos() -> list[np.ndarray]:
    """The two embedded public-domain photos (scikit-image astronaut, matplotlib grace_hopper) as RGB."""
    import matplotlib.cbook
    import skimage.data

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
        hopper = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    return [skimage.data.astronaut(), np.ascontiguousarray(hopper)]


# Approximate face box (x0, y0, side) of each photo.
_FACE_BOXES = [(150, 20, 200), (120, 60, 300)]


def toy_frame(photo: np.ndarray, box: tuple[int, int, int], size: int, rng: np.random.Generator) -> np.ndarray:
    """A jittered square crop around the photo's face, resized to [size,size,3]."""
    x0, y0, side = box
    scale = rng.uniform(0.9, 1.1)
    dx, dy = rng.uniform(-0.06, 0.06, size=2) * side
    centre = (x0 + side / 2 + dx, y0 + side / 2 + dy)
    matrix = cv2.getRotationMatrix2D(centre, rng.uniform(-8, 8), size / (side * scale))
    matrix[:, 2] += (size / 2 - centre[0], size / 2 - centre[1])
    crop = cv2.warpAffine(photo, matrix, (size, size), borderMode=cv2.BORDER_REFLECT)
    gain = rng.uniform(0.85, 1.15, size=3)
    return np.clip(crop.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def toy_fake(
    real: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, factor: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Generator-like face replacement of a real crop -> (fake [S,S,3] uint8, blend mask [S,S])."""
    size = real.shape[0]
    low = cv2.resize(real, (size // factor, size // factor), interpolation=cv2.INTER_AREA)
    face = cv2.resize(low, (size, size), interpolation=cv2.INTER_NEAREST)
    face = cv2.GaussianBlur(face, (3, 3), 0).astype(np.float32) + rng.uniform(-12, 12, size=3)
    mask = deform_mask(landmark_hull(landmarks, size), rng)[..., None]
    fake = mask * np.clip(face, 0, 255) + (1 - mask) * real.astype(np.float32)
    return np.clip(fake + 0.5, 0, 255).astype(np.uint8), mask[..., 0]


def build_toy_dataset(
    root: str | os.PathLike[str],
    n_videos: int = 6,
    frames: int = 8,
    size: int = 128,
    seed: int = 0,
    methods: tuple[str, ...] = ("toy_swap",),
) -> Path:
    """Write `n_videos` toy videos (alternating the two photos) of real + fake crops; returns index.json.

    Method k reconstructs the face from a (4 / 2**k)-times smaller copy, so methods differ in their artefacts.
    """
    rng = np.random.default_rng(seed)
    photos = sample_photos()
    writer = DatasetWriter(root, size)
    for v in range(n_videos):
        ident = v % 2
        video_id = f"{'ab'[ident]}{v:03d}"
        template = face_template() * size
        for f in range(frames):
            real = toy_frame(photos[ident], _FACE_BOXES[ident], size, rng)
            lm = template + rng.normal(0, 1.0, size=template.shape).astype(np.float32)
            common = {"video_id": video_id, "frame_index": f, "timestamp": f / 25.0, "landmarks": lm}
            writer.add(real, label=0, method="real", source_identity="ab"[ident], target_identity="ab"[ident], **common)
            other = "ab"[1 - ident]
            for k, method in enumerate(methods):
                fake, mask = toy_fake(real, lm, rng, factor=max(1, 4 >> k))
                writer.add(
                    fake,
                    label=1,
                    method=method,
                    mask=mask,
                    source_identity=other,
                    target_identity="ab"[ident],
                    **common,
                )
    meta = {
        m: {"kind": "toy", "description": "down/nearest-up-sampled face blended through a deformed hull"}
        for m in methods
    }
    return writer.finish(seed=seed, methods=meta, protocol={"split_rule": "video", "source": "toy"})
