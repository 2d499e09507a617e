"""Test-time perturbations for the robustness table (DeeperForensics-1.0 levels plus real JPEG and H.264).

Each perturbation maps crops [N,S,S,3] uint8 to perturbed crops of the same shape, given one level
value, the video of each crop (H.264 encodes each video's crops as one clip, in frame order) and a
seeded generator (noise, occlusion). Levels mean:

| name | level | effect |
|---|---|---|
| jpeg | quality 1-100 | JPEG encode/decode (OpenCV, 4:2:0) |
| h264 | CRF 0-51 | libx264 via PyAV, yuv420p, each video's crops as one clip |
| blur | odd kernel size | Gaussian blur, sigma from the kernel size (OpenCV rule) |
| downup | factor | bilinear downscale by the factor, then upscale back |
| noise | variance | additive Gaussian noise on [0, 1] pixels |
| saturation | factor | HSV saturation multiplied by the factor (0 = grey) |
| contrast | factor | pixels pulled toward the crop mean: mean + factor * (x - mean) |
| occlusion | blocks | that many mid-grey squares of side S/32 at random places |
"""

from __future__ import annotations

import io
from collections.abc import Callable

import av
import cv2
import numpy as np

from faceswap.media.video import x264_options
from faceswap.utils.registry import Registry

Perturbation = Callable[[np.ndarray, float, np.ndarray, np.random.Generator], np.ndarray]
PERTURBATIONS: Registry[Perturbation] = Registry("perturbation")

# DeeperForensics-1.0 levels 1-5, real JPEG qualities and the H.264 CRFs of the issue.
DEFAULT_LEVELS: dict[str, list[float]] = {
    "jpeg": [90, 70, 50, 30],
    "h264": [23, 30, 35, 40],
    "blur": [7, 9, 13, 17, 21],
    "downup": [2, 3, 4, 5, 6],
    "noise": [0.001, 0.002, 0.005, 0.01, 0.05],
    "saturation": [0.4, 0.3, 0.2, 0.1, 0.0],
    "contrast": [0.85, 0.725, 0.6, 0.475, 0.35],
    "occlusion": [16, 32, 48, 64, 80],
}


def perturb(name: str, crops: np.ndarray, level: float, groups: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Apply perturbation `name` at `level` to crops [N,S,S,3] uint8."""
    fn = PERTURBATIONS.get(name)
    groups = np.zeros(len(crops), dtype=object) if groups is None else np.asarray(groups, dtype=object)
    out = fn(np.ascontiguousarray(crops), float(level), groups, np.random.default_rng(seed))
    assert out.shape == crops.shape and out.dtype == np.uint8, f"{name} changed shape/dtype"
    return out


@PERTURBATIONS.register("jpeg")
def jpeg(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    params = [int(cv2.IMWRITE_JPEG_QUALITY), int(level)]
    out = np.empty_like(crops)
    for i, crop in enumerate(crops):
        ok, buf = cv2.imencode(".jpg", crop[..., ::-1], params)
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        out[i] = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return out


@PERTURBATIONS.register("h264")
def h264(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty_like(crops)
    for key in dict.fromkeys(groups.tolist()):
        idx = np.flatnonzero(groups == key)
        out[idx] = _h264_roundtrip(crops[idx], int(level))
    return out


def _h264_roundtrip(frames: np.ndarray, crf: int) -> np.ndarray:
    """Encode frames [T,S,S,3] as one in-memory H.264 clip at `crf` and decode them back."""
    height, width = frames.shape[1:3]
    pad_h, pad_w = height % 2, width % 2  # yuv420p needs even sides
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height = width + pad_w, height + pad_h
        stream.pix_fmt = "yuv420p"
        stream.options = x264_options(crf, "veryfast")
        for frame in frames:
            padded = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
            container.mux(stream.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")))
        container.mux(stream.encode())
    buf.seek(0)
    with av.open(buf, mode="r") as container:
        decoded = [f.to_ndarray(format="rgb24")[:height, :width] for f in container.decode(video=0)]
    if len(decoded) != len(frames):
        raise RuntimeError(f"H.264 round trip returned {len(decoded)} of {len(frames)} frames")
    return np.stack(decoded)


@PERTURBATIONS.register("blur")
def blur(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(level) | 1
    return np.stack([cv2.GaussianBlur(c, (k, k), 0) for c in crops])


@PERTURBATIONS.register("downup")
def downup(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = crops.shape[1:3]
    small = (max(1, round(width / level)), max(1, round(height / level)))
    return np.stack(
        [
            cv2.resize(
                cv2.resize(c, small, interpolation=cv2.INTER_LINEAR), (width, height), interpolation=cv2.INTER_LINEAR
            )
            for c in crops
        ]
    )


@PERTURBATIONS.register("noise")
def noise(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = crops.astype(np.float32) / 255.0 + rng.normal(0.0, np.sqrt(level), size=crops.shape).astype(np.float32)
    return (np.clip(noisy, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@PERTURBATIONS.register("saturation")
def saturation(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty_like(crops)
    for i, crop in enumerate(crops):
        hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 1] = np.clip(hsv[..., 1] * level, 0, 255)
        out[i] = cv2.cvtColor((hsv + 0.5).astype(np.uint8), cv2.COLOR_HSV2RGB)
    return out


@PERTURBATIONS.register("contrast")
def contrast(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = crops.astype(np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)  # [N,1,1,1]
    return np.clip(mean + level * (x - mean) + 0.5, 0, 255).astype(np.uint8)


@PERTURBATIONS.register("occlusion")
def occlusion(crops: np.ndarray, level: float, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = crops.copy()
    height, width = crops.shape[1:3]
    side = max(1, min(height, width) // 32)
    for i in range(len(out)):
        ys = rng.integers(0, height - side + 1, size=int(level))
        xs = rng.integers(0, width - side + 1, size=int(level))
        for y, x in zip(ys, xs, strict=True):
            out[i, y : y + side, x : x + side] = 128
    return out
