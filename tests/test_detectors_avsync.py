"""`avsync` follows the mouth against the audio envelope; skipped without audio."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from faceswap.bench.detectors import create_detector
from faceswap.bench.detectors.avsync import audio_energy, lagged_correlations, mouth_opening
from faceswap.bench.metrics import roc_auc
from faceswap.bench.samples import Samples

FPS, FRAMES, RATE = 10, 16, 16000


def write_wav(path: Path, envelope: np.ndarray) -> Path:
    """A 220 Hz tone whose loudness follows `envelope` (one value per video frame)."""
    t = np.arange(int(len(envelope) / FPS * RATE)) / RATE
    amp = np.repeat(envelope, RATE // FPS)[: len(t)]
    wave = (0.8 * amp * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(wave[None], format="s16", layout="mono")
        frame.rate = RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def make_videos(root: Path, n: int = 8, seed: int = 0) -> Samples:
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {k: [] for k in ("labels", "methods", "videos", "frames", "ids", "lms", "times", "media")}
    for v in range(n):
        label = v % 2
        env = np.clip(np.convolve(rng.random(FRAMES), np.ones(3) / 3, "same"), 0.05, 1)
        mouth = rng.random(FRAMES) if label else env  # fakes: the mouth ignores the speech
        wav = write_wav(root / f"v{v}.wav", env)
        for f in range(FRAMES):
            lm = np.zeros((68, 2), np.float32)
            lm[60], lm[64] = (40, 80), (60, 80)
            lm[62], lm[66] = (50, 80 - 5 * mouth[f]), (50, 80 + 5 * mouth[f])
            for key, value in zip(
                rows, (label, "fake" if label else "real", f"v{v}", f, f"{v}/{f}", lm, f / FPS, str(wav)), strict=True
            ):
                rows[key].append(value)
    n_rows = len(rows["labels"])
    return Samples(
        crops=np.zeros((n_rows, 8, 8, 3), np.uint8),
        labels=np.array(rows["labels"]),
        methods=np.array(rows["methods"], dtype=object),
        video_ids=np.array(rows["videos"], dtype=object),
        frame_index=np.array(rows["frames"]),
        ids=np.array(rows["ids"], dtype=object),
        landmarks=np.stack(rows["lms"]),
        timestamps=np.array(rows["times"]),
        media=np.array(rows["media"], dtype=object),
        has_audio=np.ones(n_rows, bool),
    )


def test_avsync_separates_lip_synced_from_unsynced_videos(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    train, test = make_videos(tmp_path, 8, seed=0), make_videos(tmp_path / "test", 4, seed=1)
    det = create_detector("avsync", seed=0)
    assert det.skip_reason(train) is None
    scores = det.fit(train).score(test)
    assert roc_auc(test.labels, scores) == 1.0


def test_signals_by_hand(tmp_path: Path) -> None:
    env = np.array([0.1, 1.0] * 8)
    energy = audio_energy(str(write_wav(tmp_path / "a.wav", env)), np.arange(16) / FPS + 0.05, 1 / FPS)
    assert energy is not None and np.corrcoef(energy, env)[0, 1] > 0.95
    x = np.sin(np.arange(20.0))
    assert lagged_correlations(x, np.roll(x, 2), 3)[3 + 2] > 0.99  # b[t+2] = a[t]
    lm = np.zeros((1, 68, 2))
    lm[0, 60], lm[0, 64], lm[0, 62], lm[0, 66] = (0, 0), (10, 0), (5, -1), (5, 1)
    assert abs(mouth_opening(lm)[0] - 0.2) < 1e-6


def test_avsync_skips_silent_data(tmp_path: Path) -> None:
    from dataclasses import replace

    silent = replace(make_videos(tmp_path, 2), has_audio=np.zeros(2 * FRAMES, bool))
    assert "audio" in create_detector("avsync").skip_reason(silent)
