"""Figure of the training-free manipulation families on the embedded sample.

Top row: the real target (astronaut), its mesh_swap, reenact and mouth fakes; bottom row: the source/driver
(Grace Hopper, mouth opened by a landmark warp) and each fake with its ground-truth mask overlaid in red.

    python scripts/families_figure.py --out docs/families.png
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from faceswap.data.sample_clip import frame_photo, load_sample_photo
from faceswap.eval.faces import FaceMeter
from faceswap.synth.families.driving import open_mouth
from faceswap.synth.families.mesh_swap import mesh_swap
from faceswap.synth.families.mouth import MouthReplacer
from faceswap.synth.families.reenact import Reenactor
from faceswap.utils.errors import FaceswapError, NoFaceError
from faceswap.utils.io import atomic_write_bytes

FRAME = 512  # the families run on 512 x 512 frames
TILE = 240  # each panel: the face's square, resized
MAX_BYTES = 300_000


def _face(name: str, meter: FaceMeter) -> tuple[np.ndarray, np.ndarray]:
    frame = frame_photo(load_sample_photo(name), FRAME)[0]
    found = meter.measure(frame)
    if found is None:
        raise NoFaceError(f"no face found in the sample photo {name}", "reinstall scikit-image / matplotlib")
    return frame, found.landmarks.astype(np.float32)


def _tile(image: np.ndarray, centre: np.ndarray, side: int, label: str) -> np.ndarray:
    x0, y0 = np.clip(np.round(centre - side / 2).astype(int), 0, np.array(image.shape[1::-1]) - side)
    tile = cv2.resize(image[y0 : y0 + side, x0 : x0 + side], (TILE, TILE), interpolation=cv2.INTER_AREA)
    cv2.rectangle(tile, (0, 0), (TILE, 22), (0, 0, 0), -1)
    cv2.putText(tile, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def _overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    red = np.zeros_like(image)
    red[..., 0] = 255
    m = (0.55 * mask)[..., None]
    return np.clip(image * (1 - m) + red * m, 0, 255).astype(np.uint8)


def _png(grid: np.ndarray) -> bytes:
    """PNG bytes, palette-quantised when the full-colour file would exceed MAX_BYTES."""
    for colours in (None, 256, 128):
        image = Image.fromarray(grid)
        if colours is not None:
            image = image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        if buffer.tell() <= MAX_BYTES:
            break
    return buffer.getvalue()


def make_figure() -> np.ndarray:
    meter = FaceMeter()
    target, target_lm = _face("astronaut", meter)
    source, source_lm = _face("grace_hopper", meter)
    driver, driver_lm = open_mouth(source, source_lm, 0.45)
    fakes = {
        "mesh_swap": mesh_swap(source, source_lm, target, target_lm),
        "reenact": Reenactor()(target, target_lm, driver, driver_lm),
        "mouth": MouthReplacer()(target, target_lm, driver, driver_lm),
    }
    side = int(1.6 * np.ptp(target_lm, axis=0).max())
    centre = target_lm.mean(0)
    top = [_tile(target, centre, side, "real (target)")]
    bottom = [
        _tile(driver, driver_lm.mean(0), int(1.6 * np.ptp(driver_lm, axis=0).max()), "source / driver (mouth opened)")
    ]
    for name, fake in fakes.items():
        top.append(_tile(fake.image, centre, side, name))
        bottom.append(_tile(_overlay(fake.image, fake.mask), centre, side, f"{name} mask"))
    return np.concatenate([np.concatenate(top, 1), np.concatenate(bottom, 1)], 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/families.png"))
    parser.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    args = parser.parse_args()
    if args.out.exists() and not args.overwrite:
        raise FaceswapError(f"{args.out} exists", "pass --overwrite to replace it")
    atomic_write_bytes(args.out, _png(make_figure()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
