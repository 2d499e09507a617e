"""The embedded sample: public-domain photos shipped by installed packages, turned into short clips with
smooth synthetic head motion (yaw/pitch/roll, scale, translation), moving light and colour drift, so every
later command runs on video exactly as it would on a user's footage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceswap.media.image import read_image
from faceswap.utils.errors import ConfigError


def _astronaut() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / "astronaut.png"


def _grace_hopper() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


#: photo name -> locator (through the installed package, never an absolute path)
SAMPLE_PHOTOS = {"astronaut": _astronaut, "grace_hopper": _grace_hopper}


def sample_photo_path(name: str) -> Path:
    if name not in SAMPLE_PHOTOS:
        if Path(name).expanduser().is_file():
            return Path(name).expanduser()
        raise ConfigError(f"unknown sample photo '{name}'", f"choose one of: {', '.join(SAMPLE_PHOTOS)} or a file path")
    return SAMPLE_PHOTOS[name]()


@dataclass(frozen=True)
class MotionSpec:
    """Amplitudes of the synthetic motion (degrees, fraction of frame, fraction of scale)."""

    yaw: float = 14.0
    pitch: float = 8.0
    roll: float = 10.0
    scale: float = 0.08
    shift: float = 0.05
    light: float = 0.25  # strength of the moving directional light (gain 1 +- light)
    color: float = 0.06  # per-channel gain drift
    noise: float = 2.0  # sensor noise std (8-bit levels)


def _wave(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Smooth zero-mean curve in [-1,1]: two sinusoids with random phase and period 1.5-4 s."""
    f1, f2 = rng.uniform(0.25, 0.7, 2)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    return 0.7 * np.sin(2 * np.pi * f1 * t + p1) + 0.3 * np.sin(2 * np.pi * f2 * t + p2)


def _homography(
    size: int,
    centre: tuple[float, float],
    yaw: float,
    pitch: float,
    roll: float,
    scale: float,
    shift: tuple[float, float],
) -> np.ndarray:
    """3x3 map from the framed photo to the output: the photo is a plane facing the camera; rotate it in 3-D
    about the face centre and re-project: H = K (R + (I - R) e3 e3^T) K^-1 (plane z = const)."""
    focal = 2.0 * size
    cx, cy = centre
    k = np.array([[focal, 0, cx], [0, focal, cy], [0, 0, 1]])
    rot, _ = cv2.Rodrigues(np.radians([pitch, yaw, roll]))
    e3 = np.array([[0.0], [0.0], [1.0]])
    h = k @ (rot + (np.eye(3) - rot) @ e3 @ e3.T) @ np.linalg.inv(k)
    sim = np.array([[scale, 0, (1 - scale) * cx + shift[0]], [0, scale, (1 - scale) * cy + shift[1]], [0, 0, 1]])
    return sim @ h


def frame_photo(photo: np.ndarray, size: int, face_fraction: float = 0.42) -> tuple[np.ndarray, tuple[float, float]]:
    """Crop/resize the photo so the face (found by dlib HOG; the centre if none) spans `face_fraction` of a
    square `size` frame. Returns the framed image [size,size,3] and the face centre in it."""
    from faceswap.face.detect import create_face_detector

    boxes = create_face_detector("dlib_hog", upsample=1)(photo)
    h, w = photo.shape[:2]
    if boxes:
        (fx, fy), fsize = boxes[0].center, boxes[0].size
    else:
        fx, fy, fsize = w / 2, h / 2, min(h, w) / 2
    zoom = size * face_fraction / fsize
    # place the face slightly above the centre (room for the chin and shoulders)
    target = (size / 2, size * 0.46)
    matrix = np.array([[zoom, 0, target[0] - zoom * fx], [0, zoom, target[1] - zoom * fy]])
    framed = cv2.warpAffine(photo, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return framed, target


def synthesize_clip(
    photo: np.ndarray,
    frames: int,
    size: int = 256,
    fps: float = 24.0,
    seed: int = 0,
    motion: MotionSpec | None = None,
    face_fraction: float = 0.42,
) -> Iterator[np.ndarray]:
    """Yield `frames` RGB uint8 [size,size,3] frames of the photo in smooth synthetic motion; the face spans
    about `face_fraction` of the frame (keep it >= ~90 px so HOG finds it without upsampling)."""
    if frames < 1 or size < 64:
        raise ConfigError(
            f"sample clip needs frames >= 1 and size >= 64 (got {frames}, {size})",
            "raise the identity's frames / size",
            param="source",
        )
    motion = motion or MotionSpec()
    rng = np.random.default_rng(seed)
    framed, centre = frame_photo(photo, size, face_fraction)
    t = np.arange(frames) / fps
    yaw, pitch, roll = (a * _wave(t, rng) for a in (motion.yaw, motion.pitch, motion.roll))
    scale = 1.0 + motion.scale * _wave(t, rng)
    dx, dy = (motion.shift * size * _wave(t, rng) for _ in range(2))
    light_angle = np.pi * _wave(t, rng)
    light_gain = motion.light * (0.6 + 0.4 * _wave(t, rng))
    colour = 1.0 + motion.color * np.stack([_wave(t, rng) for _ in range(3)], axis=1)  # [T,3]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    base = framed.astype(np.float32)
    for i in range(frames):
        hom = _homography(size, centre, yaw[i], pitch[i], roll[i], scale[i], (dx[i], dy[i]))
        img = cv2.warpPerspective(base, hom, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        light = 1.0 + light_gain[i] * (np.cos(light_angle[i]) * xs + np.sin(light_angle[i]) * ys) * 2.0
        img = img * light[..., None] * colour[i][None, None]
        img += rng.normal(0.0, motion.noise, img.shape).astype(np.float32)
        yield np.clip(img + 0.5, 0, 255).astype(np.uint8)


def load_sample_photo(name: str) -> np.ndarray:
    return read_image(sample_photo_path(name))


def stable_seed(text: str) -> int:
    """Deterministic per-identity seed (Python's hash() is salted per process)."""
    return int.from_bytes(os.fsencode(text)[:8].ljust(8, b"\0"), "little") % (2**31)
