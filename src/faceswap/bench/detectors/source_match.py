"""`source_match`: source verification, as a reverse image search would do it.

A reference corpus of real frames is indexed by a context descriptor (the crop at 16x16 with the
face region blanked) and a 64-bit DCT perceptual hash. For a suspect crop the nearest corpus frame
(an exact copy of the suspect excluded) is its presumed source; a swap keeps the source's background
and replaces the face, so "context matches, face differs" is the signal. Features: context distance,
pHash Hamming distance, mean face-region difference, their ratio, and optionally the dlib identity
distance between suspect and source faces; logistic regression on top.

Corpus: the train reals (what a deployed detector could have indexed). `source_match_oracle` instead
searches the real crops of every split of an `index.json`, the test fakes' own originals included:
an upper bound for a search engine that has indexed every original, reported apart from averages.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

import cv2
import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput
from faceswap.utils.errors import FaceswapError

GRID = 16


def face_region(size: int, inner: float = 0.5) -> np.ndarray:
    """[S,S] bool: the central square where a 1.3x face crop has its face."""
    lo, hi = int(size * (1 - inner) / 2), int(size * (1 + inner) / 2)
    region = np.zeros((size, size), bool)
    region[lo:hi, lo:hi] = True
    return region


def context_descriptors(crops: np.ndarray) -> np.ndarray:
    """[N,S,S,3] -> [N,GRID*GRID] normalised grey thumbnails with the face area zeroed."""
    gray = to_gray(crops)
    thumbs = np.stack([cv2.resize(g, (GRID, GRID), interpolation=cv2.INTER_AREA) for g in gray])
    keep = ~face_region(GRID)
    desc = (thumbs - thumbs.mean(axis=(1, 2), keepdims=True)) * keep
    return desc.reshape(len(crops), -1) / 255.0


def phash(crops: np.ndarray) -> np.ndarray:
    """[N,S,S,3] -> [N,64] bool DCT perceptual hash (top-left 8x8 of a 32x32 DCT vs its median)."""
    gray = to_gray(crops)
    out = np.empty((len(crops), 64), bool)
    for i, g in enumerate(gray):
        dct = cv2.dct(cv2.resize(g, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32))[:8, :8].ravel()
        out[i] = dct > np.median(dct[1:])
    return out


def digests(crops: np.ndarray) -> np.ndarray:
    """[N,S,S,3] -> [N] content hashes: an exact copy of the suspect is the file itself, not its source."""
    return np.array([hashlib.blake2b(np.ascontiguousarray(c).tobytes(), digest_size=16).hexdigest() for c in crops])


@DETECTORS.register("source_match")
class SourceMatchDetector(FeatureDetector):
    needs = frozenset({"crops"})

    def __init__(self, seed: int = 0, c_grid: tuple[float, ...] = (0.1, 1.0, 10.0), identity: bool = False) -> None:
        super().__init__(seed, c_grid)
        self.identity = identity
        self._crops: np.ndarray | None = None  # [M,S,S,3] the corpus
        self._landmarks: np.ndarray | None = None  # [M,68,2]

    def _load_corpus(self, train: DetectorInput, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        reals = train.subset(labels == 0)
        return reals.crops, reals.landmarks

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> SourceMatchDetector:
        self._crops, self._landmarks = self._load_corpus(train, labels)
        self._desc, self._hash, self._digest = (
            context_descriptors(self._crops),
            phash(self._crops),
            digests(self._crops),
        )
        super().fit(train, labels, val, val_labels)
        return self

    def features(self, x: DetectorInput) -> np.ndarray:
        assert self._crops is not None
        desc = context_descriptors(x.crops)  # [N,D]
        d2 = (desc**2).sum(1)[:, None] + (self._desc**2).sum(1)[None] - 2 * desc @ self._desc.T
        d2[digests(x.crops)[:, None] == self._digest[None, :]] = np.inf  # a file never matches itself
        nearest = np.argmin(d2, axis=1)  # [N]
        source = self._crops[nearest]
        region = face_region(x.size)
        diff = np.abs(x.crops.astype(np.float32) - source.astype(np.float32)).mean(axis=3)  # [N,S,S]
        face_diff, context_diff = diff[:, region].mean(1), diff[:, ~region].mean(1)
        hamming = (phash(x.crops) != self._hash[nearest]).sum(1)
        dist = np.sqrt(np.maximum(d2[np.arange(len(x)), nearest], 0))
        feats = [dist, hamming, face_diff, context_diff, np.log((face_diff + 1.0) / (context_diff + 1.0))]
        if self.identity:
            feats.append(self._identity_distance(x, nearest))
        return np.stack(feats, axis=1)

    def _identity_distance(self, x: DetectorInput, nearest: np.ndarray) -> np.ndarray:
        """dlib descriptor distance between each suspect face and its matched source (needs landmarks)."""
        from faceswap.face.identity import face_descriptor

        out = np.zeros(len(x))
        if x.landmarks is None or self._crops is None or self._landmarks is None:
            return out
        for i, j in enumerate(nearest):
            lm_s, lm_c = x.landmarks[i], self._landmarks[j]
            if np.isfinite(lm_s).all() and np.isfinite(lm_c).all():
                a = face_descriptor(x.crops[i], lm_s)
                b = face_descriptor(self._crops[j], lm_c)
                out[i] = float(np.linalg.norm(a - b))
        return out


@DETECTORS.register("source_match_oracle")
class SourceMatchOracleDetector(SourceMatchDetector):
    """`source_match` whose corpus is every real crop of a dataset index, test originals included."""

    name = "source_match_oracle"
    in_average = False
    oracle: ClassVar[str | None] = "its search corpus holds the real crops of every split (the test fakes' originals)"

    def __init__(
        self,
        seed: int = 0,
        c_grid: tuple[float, ...] = (0.1, 1.0, 10.0),
        corpus: str | None = None,
        identity: bool = False,
    ) -> None:
        super().__init__(seed, c_grid, identity)
        self.corpus_path = corpus

    def _load_corpus(self, train: DetectorInput, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        from faceswap.synth.index import data_root, load_samples, read_index

        if not self.corpus_path:
            raise FaceswapError("source_match_oracle has no corpus index", "pass corpus=<dataset dir or index.json>")
        doc = read_index(self.corpus_path)
        reals = [r for r in doc["samples"] if r["label"] == 0]
        if not reals:
            raise FaceswapError(f"{self.corpus_path} lists no real samples", "point corpus at a dataset with reals")
        corpus = load_samples(data_root(doc, self.corpus_path), reals, train.size)
        return corpus.crops, corpus.landmarks
