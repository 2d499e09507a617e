"""Reading any still image as upright RGB uint8, and atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceswap.media.image import ensure_rgb_uint8, read_image, read_mask, write_image
from faceswap.utils.errors import FaceswapError


def _gradient(h: int = 20, w: int = 30) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None]
    img[..., 1] = 128
    return img


def test_modes_become_rgb_uint8(tmp_path: Path) -> None:
    rgb = _gradient()
    Image.fromarray(rgb[..., 0]).save(tmp_path / "gray.png")
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])).save(tmp_path / "rgba.png")
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 257).save(tmp_path / "gray16.png")
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg")
    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    Image.fromarray(rgb).save(tmp_path / "x.webp", lossless=True)
    Image.fromarray(rgb).save(tmp_path / "x.bmp")
    for name in ("gray.png", "rgba.png", "gray16.png", "cmyk.jpg", "palette.png", "x.webp", "x.bmp"):
        out = read_image(tmp_path / name)
        assert out.shape == (20, 30, 3) and out.dtype == np.uint8, name
    assert np.abs(read_image(tmp_path / "gray16.png")[..., 0].astype(int) - rgb[..., 0]).max() <= 1
    assert np.array_equal(read_image(tmp_path / "rgba.png"), rgb)
    assert np.array_equal(read_image(tmp_path / "x.webp"), rgb)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.fromarray(_gradient(20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: a viewer rotates 90 degrees clockwise
    img.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    assert read_image(tmp_path / "rot.jpg").shape == (30, 20, 3)


def test_write_image_round_trip_and_mask(tmp_path: Path) -> None:
    rgb = _gradient()
    write_image(tmp_path / "a.png", rgb)
    assert np.array_equal(read_image(tmp_path / "a.png"), rgb)
    write_image(tmp_path / "m.png", (rgb[..., 0] > 128).astype(np.uint8) * 255)
    mask = read_mask(tmp_path / "m.png")
    assert mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}


def test_ensure_rgb_uint8_accepts_common_arrays() -> None:
    assert ensure_rgb_uint8(np.zeros((4, 5), np.uint8)).shape == (4, 5, 3)
    assert ensure_rgb_uint8(np.ones((4, 5, 4), np.float32))[0, 0, 0] == 255
    assert ensure_rgb_uint8(np.full((4, 5, 3), 65535, np.uint16))[0, 0, 0] == 255


@pytest.mark.parametrize("content", [b"", b"not an image at all"])
def test_bad_images_give_one_line_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(FaceswapError) as err:
        read_image(path)
    assert "\n" not in str(err.value)
