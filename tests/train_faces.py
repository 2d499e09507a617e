"""Test helper (not a test module): small face sets in the exact preprocess manifest format.

Crops of the two embedded sample photos under random small similarity jitter, aligned with
`faceswap.face.align`, so training tests do not depend on the collect/preprocess stages.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

PHOTOS = {"a": ("skimage", "data/astronaut.png"), "b": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg")}


def sample_photo(name: str) -> np.ndarray:
    package, rel = PHOTOS[name]
    root = Path(importlib.util.find_spec(package).submodule_search_locations[0])
    return cv2.cvtColor(cv2.imread(str(root / rel)), cv2.COLOR_BGR2RGB)


@functools.cache
def _photo_landmarks(name: str) -> np.ndarray:
    from faceswap.face.detect import create_face_detector
    from faceswap.face.landmarks import create_landmarker

    image = sample_photo(name)
    box = create_face_detector("dlib_hog")(image)[0]
    return create_landmarker("dlib68")(image, box)


def write_faceset(faces_dir: Path, identity: str, photo: str, count: int, size: int = 96, seed: int = 0) -> Path:
    """Write `count` jittered aligned crops of `photo` as `faces_dir/identity/` with masks and manifest."""
    from faceswap.face.align import align_face
    from faceswap.face.masks import hull_mask

    rng = np.random.default_rng(seed)
    image, landmarks = sample_photo(photo), _photo_landmarks(photo)
    out = faces_dir / identity
    (out / "masks").mkdir(parents=True, exist_ok=True)
    rows = []
    centre = landmarks.mean(0)
    for i in range(count):
        jitter = cv2.getRotationMatrix2D(tuple(map(float, centre)), rng.uniform(-8, 8), rng.uniform(0.95, 1.05))
        jitter[:, 2] += rng.uniform(-4, 4, 2)
        frame = cv2.warpAffine(image, jitter, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REFLECT)
        frame = np.clip(frame.astype(np.float32) * rng.uniform(0.9, 1.1), 0, 255).astype(np.uint8)
        lm = landmarks @ jitter[:, :2].T + jitter[:, 2]
        face = align_face(frame, lm, size)
        mask = hull_mask(face.landmarks_crop, size)
        name = f"{i:06d}.png"
        cv2.imwrite(str(out / name), cv2.cvtColor(face.crop, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(out / "masks" / name), (mask * 255).astype(np.uint8))
        rows.append(
            {
                "file": name,
                "mask": f"masks/{name}",
                "identity": identity,
                "source": f"sample:{photo}",
                "frame_index": i,
                "timestamp": i / 25.0,
                "bbox": [0, 0, size, size],
                "landmarks": lm.tolist(),
                "landmarks_crop": face.landmarks_crop.tolist(),
                "matrix": face.matrix.tolist(),
                "face_type": "full",
                "size": size,
                "pose": [0.0, 0.0, 0.0],
                "blur": 100.0,
                "identity_distance": None,
                "config_hash": "test",
            }
        )
    (out / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


@functools.cache
def sample_faces(count: int = 12, size: int = 96) -> Path:
    """A cached faces dir with identities a (astronaut) and b (grace_hopper), plus c/d for pretraining."""
    root = Path(tempfile.mkdtemp(prefix="faceswap-test-faces-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # cached for the process, gone after it
    for seed, (identity, photo) in enumerate((("a", "a"), ("b", "b"), ("c", "a"), ("d", "b"))):
        write_faceset(root, identity, photo, count, size, seed=seed)
    return root
