"""Side-by-side figure of a run: source frame | swap | a face of the target identity, plus its eval table;
one row per direction (A->B from eval/, B->A from eval_b2a/ when the pipeline ran `eval_b2a`).

    python scripts/side_by_side.py runs/sample --frame 30 --out docs/sample_side_by_side.png

Reads the run-directory layout of docs/architecture.md: the swapped and source videos named in
eval*/eval.json, the target identity's face set in faces/<target>/ and eval*/eval.md.
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


def direction_row(eval_dir: Path, frame: int) -> tuple[np.ndarray, str]:
    """(source | swap | target panels, the eval table) of one evaluated direction."""
    evaluation = json.loads((eval_dir / "eval.json").read_text())
    inputs = evaluation["inputs"]
    source = frame_at(Path(inputs["source"]), frame)
    swapped = frame_at(Path(inputs["swapped"]), frame)
    target_dir = Path(inputs["faces_dir"]) / inputs["target_identity"]
    rows = read_faceset(target_dir)
    target_face = read_image(target_dir / rows[len(rows) // 2]["file"])
    title = f"### {inputs['source_identity']} → {inputs['target_identity']}\n\n"
    return compose(source, swapped, target_face), title + (eval_dir / "eval.md").read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--frame", type=int, default=30, help="frame index (eval/frames.csv marks the held-out ones)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    dirs = [d for d in (args.run_dir / "eval", args.run_dir / "eval_b2a") if (d / "eval.json").is_file()]
    if not dirs:
        raise SystemExit(f"error: {args.run_dir} has no eval/eval.json — run `faceswap eval` first")
    rows = [direction_row(d, args.frame) for d in dirs]
    width = max(r[0].shape[1] for r in rows)
    panels = [cv2.copyMakeBorder(r[0], 0, 0, 0, width - r[0].shape[1], cv2.BORDER_CONSTANT) for r in rows]
    write_image(args.out, np.concatenate(panels, axis=0))
    tables = "\n".join(r[1] for r in rows)
    args.out.with_suffix(".md").write_text(
        f"![source | swap | target, one row per direction]({args.out.name})\n\n{tables}"
    )
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
