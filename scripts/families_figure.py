"""Figure of every manipulation family on the embedded sample.

Top row: the real target (astronaut) and one fake per family; bottom row: the source/driver (Grace Hopper,
mouth opened by a landmark warp for the driven families) and each fake with its ground-truth mask in red.
The training-free families (mesh_swap, reenact, mouth) and sbi need nothing; the two autoencoder families
are drawn from the generators of a sample run, built through the same registry as `faceswap generate`:

    faceswap pipeline                                    # runs/sample: df generator (ae_swap)
    faceswap train model=liae 'paths.train_dir=${paths.run_dir}/train_liae'      # liae (ae_swap_liae)
    python scripts/families_figure.py --run runs/sample --out docs/families.png --overwrite

Without --run (or a generator missing from it) those panels are left out and the script says so.
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
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.families.driving import open_mouth
from faceswap.synth.families.mesh_swap import mesh_swap
from faceswap.synth.families.mouth import MouthReplacer
from faceswap.synth.families.reenact import Reenactor
from faceswap.synth.methods.base import Context, create_manipulation
from faceswap.synth.targets import TargetFrame
from faceswap.utils.errors import FaceswapError, NoFaceError
from faceswap.utils.io import atomic_write_bytes

FRAME = 512  # the families run on 512 x 512 frames
TILE = 240  # each panel: the face's square, resized
MAX_BYTES = 400_000
#: family -> the generator a sample run leaves for it (the configs' defaults, relative to the run dir)
TRAINED = {"ae_swap": ("finetune/generator.pt", "train/generator.pt"), "ae_swap_liae": ("train_liae/generator.pt",)}


def _face(name: str, meter: FaceMeter) -> tuple[np.ndarray, np.ndarray]:
    frame = frame_photo(load_sample_photo(name), FRAME)[0]
    found = meter.measure(frame)
    if found is None:
        raise NoFaceError(f"no face found in the sample photo {name}", "reinstall scikit-image / matplotlib")
    return frame, found.landmarks.astype(np.float32)


def _square(centre: np.ndarray, side: int, shape: tuple[int, ...]) -> tuple[int, int]:
    x0, y0 = np.clip(np.round(centre - side / 2).astype(int), 0, np.array(shape[1::-1]) - side)
    return int(x0), int(y0)


def _tile(image: np.ndarray, corner: tuple[int, int], side: int, label: str) -> np.ndarray:
    x0, y0 = corner
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


def _trained_fakes(run: Path | None, target: np.ndarray, target_lm: np.ndarray) -> dict[str, FakeFrame]:
    """ae_swap / ae_swap_liae of the target (sample identity a, swapped into b) from a run's generators."""
    fakes: dict[str, FakeFrame] = {}
    for family, candidates in TRAINED.items():
        found = [run / c for c in candidates if (run / c).is_file()] if run else []
        if not found:
            print(f"{family}: no generator in {run or '(no --run given)'}; panel left out")
            continue
        context = Context(identities=["a", "b"], frames_of=lambda *_: [])
        method = create_manipulation(family, context=context, checkpoint=str(found[0]), mask="hull")
        frame = TargetFrame("a", "figure", "", 0, 0.0, target, target_lm, False)
        fake = method.fake_frames([frame])[0]
        if fake is not None:
            fakes[family] = fake.frame
    return fakes


def _sbi(target: np.ndarray, target_lm: np.ndarray, corner: tuple[int, int], side: int) -> FakeFrame:
    """sbi works on the real crop: the figure's square of the target, pasted back into the frame."""
    x0, y0 = corner
    context = Context(identities=["a", "b"], frames_of=lambda *_: [])
    crop = np.ascontiguousarray(target[y0 : y0 + side, x0 : x0 + side])
    image, mask = create_manipulation("sbi", context=context).fake_crop(
        crop, target_lm - np.array([x0, y0], np.float32), np.random.default_rng(0)
    )
    frame, full = target.copy(), np.zeros(target.shape[:2], np.float32)
    frame[y0 : y0 + side, x0 : x0 + side], full[y0 : y0 + side, x0 : x0 + side] = image, mask
    return FakeFrame(frame, full)


def make_figure(run: Path | None = None) -> np.ndarray:
    meter = FaceMeter()
    target, target_lm = _face("astronaut", meter)
    source, source_lm = _face("grace_hopper", meter)
    driver, driver_lm = open_mouth(source, source_lm, 0.45)
    side = int(1.6 * np.ptp(target_lm, axis=0).max())
    corner = _square(target_lm.mean(0), side, target.shape)
    fakes = {
        **_trained_fakes(run, target, target_lm),
        "mesh_swap": mesh_swap(source, source_lm, target, target_lm),
        "reenact": Reenactor()(target, target_lm, driver, driver_lm),
        "mouth": MouthReplacer()(target, target_lm, driver, driver_lm),
        "sbi": _sbi(target, target_lm, corner, side),
    }
    driver_side = int(1.6 * np.ptp(driver_lm, axis=0).max())
    top = [_tile(target, corner, side, "real (target)")]
    bottom = [_tile(driver, _square(driver_lm.mean(0), driver_side, driver.shape), driver_side, "source / driver")]
    for name, fake in fakes.items():
        top.append(_tile(fake.image, corner, side, name))
        bottom.append(_tile(_overlay(fake.image, fake.mask), corner, side, f"{name} mask"))
    return np.concatenate([np.concatenate(top, 1), np.concatenate(bottom, 1)], 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/families.png"))
    parser.add_argument("--run", type=Path, default=None, help="a sample run dir with trained generators")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    args = parser.parse_args()
    try:
        if args.out.exists() and not args.overwrite:
            raise FaceswapError(f"{args.out} exists", "pass --overwrite to replace it")
        atomic_write_bytes(args.out, _png(make_figure(args.run)))
    except FaceswapError as exc:
        raise SystemExit(f"error: {exc.problem} ({exc.fix})") from None
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
