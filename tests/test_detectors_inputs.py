"""Every registered detector sees only pixels, landmarks and media content: scrambling everything else (video
keys re-drawn, ids and method names renamed, media files copied to random names, rows shuffled) leaves each
sample's score unchanged."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from faceswap.bench.detectors import DETECTORS, create_detector
from faceswap.bench.detectors.cnn import CNNDetector
from faceswap.bench.inputs import DetectorInput, detector_input
from faceswap.bench.samples import Samples
from faceswap.provenance.label import sidecar_path
from faceswap.synth.index import load_samples, read_index, select
from faceswap.synth.toy import build_toy_dataset
from tests.test_detectors_avsync import make_videos

SPLITS = ("train", "val", "test")
TIMM = {"xception", "efficientnet_b4"}


def published_files(samples: Samples, root: Path) -> np.ndarray:
    """One PNG per (method, video): fakes name a swap tool in their metadata, half of them with a sidecar."""
    out = np.full(len(samples), None, dtype=object)
    for n, key in enumerate(dict.fromkeys(samples.video_keys.tolist())):
        rows = np.flatnonzero(samples.video_keys == key)
        path = root / f"{key.replace('/', '_')}.png"
        info = PngInfo()
        if samples.labels[rows[0]]:
            info.add_text("Software", "faceswap")
        Image.fromarray(samples.crops[rows[0]]).save(path, pnginfo=info)
        if samples.labels[rows[0]] and n % 2:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            sidecar_path(path).write_text(json.dumps({"output": {"sha256": digest}}))
        out[rows] = str(path)
    return out


def refitted(samples: Samples, seed: int) -> np.ndarray:
    """The toy copies the real's landmarks onto its fakes; a landmarker would find the swapped face elsewhere."""
    assert samples.landmarks is not None
    shift = np.random.default_rng(seed).normal(0, 2.0, samples.landmarks.shape).astype(np.float32)
    return samples.landmarks + shift * samples.labels[:, None, None]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Samples]]:
    """Toy crops (with published files) for every detector but avsync, talking videos with audio for avsync."""
    root = tmp_path_factory.mktemp("toy_inputs")
    records = read_index(build_toy_dataset(root, n_videos=6, frames=6, size=64, seed=0))["samples"]
    toy = {s: load_samples(root, select(records, s)) for s in SPLITS}
    toy = {
        s: replace(p, files=published_files(p, root), landmarks=refitted(p, i)) for i, (s, p) in enumerate(toy.items())
    }
    av_root = tmp_path_factory.mktemp("av_inputs")
    talk = {s: make_videos(av_root / s, 6, seed=i) for i, s in enumerate(SPLITS)}
    return {"toy": toy, "talk": talk, "root": root}  # type: ignore[dict-item]


def options(name: str, root: Path) -> dict[str, object]:
    return {
        "meso4": {"epochs": 2},
        "sbi": {"epochs": 2},
        "blink": {"min_frames": 4},
        "source_match_oracle": {"corpus": str(root)},
        "xception": {"epochs": 1, "device": "cpu"},
        "efficientnet_b4": {"epochs": 1, "device": "cpu"},
    }.get(name, {})


def scrambled(samples: Samples, folder: Path, rng: np.random.Generator, shuffle: bool) -> tuple[Samples, np.ndarray]:
    """Same pixels, landmarks and media bytes; every name, id and path new; rows shuffled when `shuffle`."""
    order = rng.permutation(len(samples)) if shuffle else np.arange(len(samples))
    s = samples.subset(order)
    token = {v: rng.bytes(6).hex() for v in set(s.video_ids.tolist()) | set(s.methods.tolist())}
    copies: dict[str, str] = {}

    def copy(path: object) -> object:
        if not path:
            return path
        if path not in copies:
            src = Path(str(path))
            dst = folder / f"{rng.bytes(6).hex()}{src.suffix}"
            shutil.copyfile(src, dst)
            if sidecar_path(src).is_file():
                shutil.copyfile(sidecar_path(src), sidecar_path(dst))
            copies[str(path)] = str(dst)
        return copies[str(path)]

    def moved(column: np.ndarray | None) -> np.ndarray | None:
        return None if column is None else np.array([copy(p) for p in column], dtype=object)

    renamed = replace(
        s,
        methods=np.array([token[m] for m in s.methods], dtype=object),
        video_ids=np.array([token[v] for v in s.video_ids], dtype=object),
        ids=np.array([rng.bytes(6).hex() for _ in s.ids], dtype=object),
        media=moved(s.media),
        files=moved(s.files),
    )
    return renamed, order


def fit_score(name: str, parts: dict[str, Samples], root: Path, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x: dict[str, DetectorInput] = {s: detector_input(parts[s], rng) for s in SPLITS}
    det = create_detector(name, seed=0, **options(name, root))
    assert det.skip_reason(x["train"]) is None and det.skip_reason(x["test"]) is None
    det.fit(x["train"], parts["train"].labels, x["val"], parts["val"].labels)
    return det.score(x["test"])


@pytest.mark.parametrize("name", DETECTORS.names())
def test_scores_depend_only_on_what_a_deployed_detector_sees(
    name: str, data: dict[str, dict[str, Samples]], tmp_path: Path
) -> None:
    if name in TIMM and importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed (pip install 'faceswap[timm]')")
    parts = data["talk"] if name == "avsync" else data["toy"]
    root = data["root"]
    assert isinstance(root, Path)
    before = fit_score(name, parts, root, seed=0)
    rng = np.random.default_rng(1)
    # SGD visits training rows in a seeded order, so a CNN's weights depend on that order by design:
    # its training rows keep their order; everything else (and every other detector's rows) is shuffled.
    keep_train_order = issubclass(DETECTORS.get(name), CNNDetector)
    moved, order = {}, {}
    for s in SPLITS:
        moved[s], order[s] = scrambled(parts[s], tmp_path, rng, shuffle=not (s == "train" and keep_train_order))
    after = np.empty_like(before)
    after[order["test"]] = fit_score(name, moved, root, seed=7)
    assert np.isfinite(before).any() and np.nanstd(before) > 0  # the detector really judged the samples
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6, equal_nan=True)


def test_detector_input_carries_no_labels_names_or_paths(data: dict[str, dict[str, Samples]]) -> None:
    test = data["toy"]["test"]
    x = detector_input(test, np.random.default_rng(0))
    names = {f.name for f in fields(DetectorInput)}
    assert names == {"crops", "video_keys", "frame_index", "landmarks", "timestamps", "media", "files"}
    assert len(set(x.video_keys.tolist())) == len(set(test.video_keys.tolist()))
    words = {w for v in test.video_keys for w in v.split("/")}
    assert not any(w in k for k in x.video_keys for w in words)
    assert x.files is not None
    for ref, path in zip(x.files, test.files, strict=True):
        with ref.open() as fh:
            assert Path(path).stem not in repr(ref) and fh.name != path and fh.read() == Path(path).read_bytes()
