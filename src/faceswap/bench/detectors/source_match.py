"""`source_match`: source verification, as a reverse image search would do it.

A reference corpus of real frames is indexed by a context descriptor (the crop at 16x16 with the
face region blanked) and a 64-bit DCT perceptual hash. For a suspect crop the nearest corpus frame
(itself excluded) is its presumed source; a swap keeps the source's background and replaces the
face, so "context matches, face differs" is the signal. Features: context distance, pHash Hamming
distance, mean face-region difference, their ratio, and optionally the dlib identity distance
between suspect and source faces; logistic regression on top.

Corpus: `corpus` = an `index.json` (or its folder) whose real crops of every split are the
"published originals" (the search-engine assumption, stated in the report), else the train reals.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.samples import Samples

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


@DETECTORS.register("source_match")
class SourceMatchDetector(FeatureDetector):
    needs = frozenset({"crops"})

    def __init__(
        self,
        seed: int = 0,
        c_grid: tuple[float, ...] = (0.1, 1.0, 10.0),
        corpus: str | None = None,
        identity: bool = False,
    ) -> None:
        super().__init__(seed, c_grid)
        self.corpus_path, self.identity = corpus, identity
        self.corpus: Samples | None = None

    def _load_corpus(self, train: Samples) -> Samples:
        if self.corpus_path:
            from faceswap.synth.index import data_root, load_samples, read_index

            doc = read_index(self.corpus_path)
            reals = [r for r in doc["samples"] if r["label"] == 0]
            if reals:
                return load_samples(data_root(doc, self.corpus_path), reals, train.size)
        return train.subset(train.labels == 0)

    def fit(self, train: Samples, val: Samples | None = None) -> SourceMatchDetector:
        self.corpus = self._load_corpus(train)
        self._corpus_desc = context_descriptors(self.corpus.crops)
        self._corpus_hash = phash(self.corpus.crops)
        super().fit(train, val)
        return self

    def features(self, samples: Samples) -> np.ndarray:
        assert self.corpus is not None
        desc = context_descriptors(samples.crops)  # [N,D]
        d2 = (desc**2).sum(1)[:, None] + (self._corpus_desc**2).sum(1)[None] - 2 * desc @ self._corpus_desc.T
        d2[samples.ids[:, None] == self.corpus.ids[None, :]] = np.inf  # a file never matches itself
        nearest = np.argmin(d2, axis=1)  # [N]
        source = self.corpus.crops[nearest]
        region = face_region(samples.size)
        diff = np.abs(samples.crops.astype(np.float32) - source.astype(np.float32)).mean(axis=3)  # [N,S,S]
        face_diff, context_diff = diff[:, region].mean(1), diff[:, ~region].mean(1)
        hamming = (phash(samples.crops) != self._corpus_hash[nearest]).sum(1)
        feats = [
            np.sqrt(np.maximum(d2[np.arange(len(samples)), nearest], 0)),
            hamming,
            face_diff,
            context_diff,
            np.log((face_diff + 1.0) / (context_diff + 1.0)),
        ]
        if self.identity:
            feats.append(self._identity_distance(samples, nearest))
        return np.stack(feats, axis=1)

    def _identity_distance(self, samples: Samples, nearest: np.ndarray) -> np.ndarray:
        """dlib descriptor distance between each suspect face and its matched source (needs landmarks)."""
        from faceswap.face.identity import face_descriptor

        out = np.zeros(len(samples))
        if samples.landmarks is None or self.corpus is None or self.corpus.landmarks is None:
            return out
        for i, j in enumerate(nearest):
            lm_s, lm_c = samples.landmarks[i], self.corpus.landmarks[j]
            if np.isfinite(lm_s).all() and np.isfinite(lm_c).all():
                a = face_descriptor(samples.crops[i], lm_s)
                b = face_descriptor(self.corpus.crops[j], lm_c)
                out[i] = float(np.linalg.norm(a - b))
        return out
