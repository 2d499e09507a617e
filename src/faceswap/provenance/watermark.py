"""Optional watermarks: a visible text label in a corner and an invisible DWT-DCT-SVD mark
(the `invisible-watermark` package) that `verify` can detect in decoded frames."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.utils.errors import FaceswapError

CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
INVISIBLE_PAYLOAD = b"FSWP"  # 32 bits: "made by faceswap"
_MIN_SIDE = 256  # the DWT-DCT-SVD mark needs a few 4x4 blocks per band


def visible_watermark(
    rgb: np.ndarray, text: str = "AI-GENERATED", corner: str = "bottom-right", opacity: float = 0.6, scale: float = 0.04
) -> np.ndarray:
    """Draw `text` on a dark box in a corner; `scale` is the text height as a fraction of the image height."""
    if corner not in CORNERS:
        raise FaceswapError(f"unknown watermark corner '{corner}'", f"choose one of: {', '.join(CORNERS)}")
    h, w = rgb.shape[:2]
    font = cv2.FONT_HERSHEY_SIMPLEX
    font_scale = max(0.3, scale * h / 22.0)
    thick = max(1, round(font_scale * 1.5))
    (tw, th), base = cv2.getTextSize(text, font, font_scale, thick)
    pad = max(2, th // 3)
    x = pad if "left" in corner else w - tw - 2 * pad
    y = pad if "top" in corner else h - th - base - 2 * pad
    overlay = rgb.copy()
    cv2.rectangle(overlay, (x, y), (min(w - 1, x + tw + 2 * pad), min(h - 1, y + th + base + 2 * pad)), (0, 0, 0), -1)
    cv2.putText(overlay, text, (x + pad, y + pad + th), font, font_scale, (255, 255, 255), thick, cv2.LINE_AA)
    out = cv2.addWeighted(overlay, float(opacity), rgb, 1.0 - float(opacity), 0.0)
    return np.ascontiguousarray(out)


def embed_invisible(rgb: np.ndarray, payload: bytes = INVISIBLE_PAYLOAD) -> np.ndarray:
    """Embed `payload` with the DWT-DCT-SVD method of invisible-watermark; images under 256 px are left as is."""
    if min(rgb.shape[:2]) < _MIN_SIDE:
        return rgb
    from imwatermark import WatermarkEncoder

    encoder = WatermarkEncoder()
    encoder.set_watermark("bytes", payload)
    bgr = encoder.encode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), "dwtDctSvd")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def detect_invisible(rgb: np.ndarray, payload: bytes = INVISIBLE_PAYLOAD) -> float | None:
    """Fraction of payload bits recovered (1.0 = intact mark, ~0.5 = chance); None under 256 px (never marked)."""
    if min(rgb.shape[:2]) < _MIN_SIDE:
        return None
    from imwatermark import WatermarkDecoder

    decoder = WatermarkDecoder("bits", len(payload) * 8)
    bits = np.asarray(decoder.decode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), "dwtDctSvd"), dtype=np.uint8)
    expected = np.unpackbits(np.frombuffer(payload, np.uint8))
    return float((bits[: expected.size] == expected).mean())
