"""face-alignment (Bulat & Tzimiropoulos 2017) backends: `sfd` / `blazeface` detectors and `fan2d` landmarks.

Weights are never downloaded unless `allow_download: true`: they are looked up where face-alignment caches them
(torch hub `checkpoints/`) or at `weights:`; when absent, construction fails with one line that names the
offline default (`dlib_hog` / `dlib68`). `random_weights: true` builds the real networks untrained, for timing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from faceswap.face.detect import FACE_DETECTORS, FaceBox, FaceDetector
from faceswap.face.landmarks import LANDMARKERS, Landmarker
from faceswap.utils.errors import FaceswapError

#: file names face-alignment 1.4+ caches its weights under (torch hub dir)/checkpoints/
WEIGHT_FILES: dict[str, str] = {
    "sfd": "s3fd-619a316812.pth",
    "fan2d": "2DFAN4-11f355bf06.pth.tar",
    "blazeface": "blazeface.pth",
    "blazeface_anchors": "anchors.npy",
}
OFFLINE_DEFAULT = {"sfd": "dlib_hog", "blazeface": "dlib_hog", "fan2d": "dlib68"}
PARAM = {"sfd": "face_detector", "blazeface": "face_detector", "fan2d": "landmarker"}


def hub_dir() -> Path:
    """torch.hub's cache folder, without importing torch when it is not loaded yet (that takes seconds)."""
    if "torch" in sys.modules:
        return Path(sys.modules["torch"].hub.get_dir())
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch"
    )
    return Path(torch_home).expanduser() / "hub"


def hub_checkpoint(name: str) -> Path:
    return hub_dir() / "checkpoints" / WEIGHT_FILES[name]


def find_weights(backend: str, weights: str | None, allow_download: bool) -> Path | None:
    """The local weights file, or None when the caller may download; else a one-line FaceswapError."""
    path = Path(weights).expanduser() if weights else hub_checkpoint(backend)
    if path.is_file():
        return path
    if allow_download and not weights:
        return None
    raise FaceswapError(
        f"face-alignment '{backend}' weights not found at {path} (no download in offline mode)",
        f"use the offline default '{OFFLINE_DEFAULT[backend]}', or place the file there, "
        f"or give its weights file / allow downloads when online",
        param=PARAM[backend],
        suggest=OFFLINE_DEFAULT[backend],
    )


def _load_state(path: Path) -> dict[str, Any]:
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


@FACE_DETECTORS.register("sfd")
class SfdDetector(FaceDetector):
    """S3FD (single-shot scale-invariant detector) as used by face-alignment; robust, ~0.3-1 s a frame on CPU."""

    def __init__(
        self,
        weights: str | None = None,
        allow_download: bool = False,
        random_weights: bool = False,
        threshold: float = 0.5,
        max_size: int = 640,
        device: str = "cpu",
    ) -> None:
        self.threshold, self.max_size, self.device = float(threshold), int(max_size), device
        path = None if random_weights else find_weights("sfd", weights, allow_download)  # fail fast, before imports
        import torch
        from face_alignment.detection.sfd.net_s3fd import s3fd

        self.net = s3fd()
        if not random_weights:
            if path is None:
                from face_alignment.detection.sfd.sfd_detector import models_urls

                self.net.load_state_dict(torch.hub.load_state_dict_from_url(models_urls["s3fd"], map_location="cpu"))
            else:
                self.net.load_state_dict(_load_state(path))
        self.net.to(device).eval()

    def _detect(self, image: np.ndarray) -> list[FaceBox]:
        from face_alignment.detection.sfd.bbox import nms
        from face_alignment.detection.sfd.detect import detect

        found = detect(self.net, image, device=self.device)[0]  # [N,5] x0,y0,x1,y1,score
        if len(found) == 0:
            return []
        found = found[nms(found, 0.3)]
        return [FaceBox(*map(float, b[:4]), score=float(b[4])) for b in found if b[4] > self.threshold]


@FACE_DETECTORS.register("blazeface")
class BlazeFaceDetector(FaceDetector):
    """MediaPipe BlazeFace (front model) through face-alignment: very fast, best on near, frontal faces."""

    def __init__(
        self,
        weights: str | None = None,
        anchors: str | None = None,
        allow_download: bool = False,
        threshold: float = 0.5,
        max_size: int = 0,
        device: str = "cpu",
    ) -> None:
        from face_alignment.detection.blazeface.blazeface_detector import BlazeFaceDetector as FaBlaze

        self.max_size = int(max_size)
        path = find_weights("blazeface", weights, allow_download)
        anchor_path = find_weights("blazeface_anchors", anchors, allow_download) if path else None
        self._fa = FaBlaze(
            device,
            path_to_detector=str(path) if path else None,
            path_to_anchor=str(anchor_path) if anchor_path else None,
            min_score_thresh=threshold,
        )

    def _detect(self, image: np.ndarray) -> list[FaceBox]:
        return [FaceBox(*map(float, b[:4]), score=float(b[4])) for b in self._fa.detect_from_image(image)]


@LANDMARKERS.register("fan2d")
class Fan2dLandmarker(Landmarker):
    """2D-FAN-4 heatmap regression (iBUG 68 order, as dlib68); ~0.3 s a face on CPU, more robust to pose."""

    def __init__(
        self,
        weights: str | None = None,
        allow_download: bool = False,
        random_weights: bool = False,
        flip_input: bool = False,
        device: str = "cpu",
    ) -> None:
        self.device, self.flip_input = device, bool(flip_input)
        path = None if random_weights else find_weights("fan2d", weights, allow_download)  # fail fast, before imports
        import torch
        from face_alignment.models import FAN

        self.net = FAN(4)
        if not random_weights:
            if path is None:
                from face_alignment.api import models_urls
                from face_alignment.utils import load_file_from_url

                path = Path(load_file_from_url(models_urls["2DFAN-4"]))
            self.net.load_state_dict(_load_state(path))
        self.net.to(device).eval()
        self._torch = torch

    def __call__(self, image: np.ndarray, box: FaceBox) -> np.ndarray:
        from face_alignment.utils import CENTER_Y_OFFSET, crop, flip, get_preds_fromhm

        torch = self._torch
        center = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2 - box.height * CENTER_Y_OFFSET])
        scale = (box.width + box.height) / 195.0  # face-alignment's reference scale for its detectors
        patch = crop(image, center, scale).transpose(2, 0, 1).astype(np.float32) / 255.0  # [3,256,256]
        with torch.no_grad():
            inp = torch.from_numpy(patch)[None].to(self.device)
            out = self.net(inp)
            out = out[-1] if isinstance(out, list) else out
            if self.flip_input:
                flipped = self.net(flip(inp))
                out = out + flip(flipped[-1] if isinstance(flipped, list) else flipped, is_label=True)
        _, pts_img, _ = get_preds_fromhm(out.cpu().numpy(), center, scale)
        return pts_img.reshape(68, 2).astype(np.float32)
