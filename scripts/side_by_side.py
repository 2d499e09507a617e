"""Side-by-side figure of a run: source frame | swap | a face of the target identity, plus its eval table.

    python scripts/side_by_side.py runs/sample --frame 30 --out docs/sample_side_by_side.png

Reads the run-directory layout of docs/architecture.md: the swapped video in swap/, the source video named
in eval/eval.json, the target identity's face set in faces/<target>/ and eval/eval.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from faceswap.data.faceset import read_faceset
from faceswap.media.image import read_image, write_image
from faceswap.media.video import read_video


def frame_at(path: Path, index: int) -> np.ndarray:
    for frame in read_video(path):
        if frame.index == index:
            return frame.image
    raise SystemExit(f"error: {path} has no frame {index} — choose a smaller --frame")


def compose(source: np.ndarray, swapped: np.ndarray, target_face: np.ndarray, height: int = 384) -> np.ndarray:
    """Three panels at one height, [H, W1+W2+W3, 3]."""
    panels = []
    for image in (source, swapped, target_face):
        scale = height / image.shape[0]
        panels.append(cv2.resize(image, (round(image.shape[1] * scale), height), interpolation=cv2.INTER_AREA))
    return np.concatenate(panels, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--frame", type=int, default=30)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    evaluation = json.loads((args.run_dir / "eval" / "eval.json").read_text())
    inputs = evaluation["inputs"]
    source = frame_at(Path(inputs["source"]), args.frame)
    swapped = frame_at(Path(inputs["swapped"]), args.frame)
    target_dir = Path(inputs["faces_dir"]) / inputs["target_identity"]
    rows = read_faceset(target_dir)
    target_face = read_image(target_dir / rows[len(rows) // 2]["file"])
    write_image(args.out, compose(source, swapped, target_face))
    table = (args.run_dir / "eval" / "eval.md").read_text()
    args.out.with_suffix(".md").write_text(f"![source | swap | target]({args.out.name})\n\n{table}")
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
