"""`avsync` follows the mouth against the audio envelope; samples without a soundtrack are left out, never a feature."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np

from faceswap.bench.detectors import create_detector
from faceswap.bench.detectors.avsync import audio_energy, lagged_correlations, mouth_opening
from faceswap.bench.inputs import DetectorInput, MediaRef, detector_input
from faceswap.bench.metrics import roc_auc
from faceswap.bench.runner import Protocol, Splits, run_benchmark
from faceswap.bench.samples import Samples, concat
from faceswap.media.video import VideoWriter

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


def make_videos(
    root: Path, n: int = 8, seed: int = 0, silent_fakes: bool = False, synced_fakes: bool = False
) -> Samples:
    """n videos, odd ones fake. Fakes' mouths ignore the speech unless `synced_fakes`; with `silent_fakes`
    their stream has no audio track (as FaceForensics++ fakes are published)."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {k: [] for k in ("labels", "methods", "videos", "frames", "ids", "lms", "times", "media")}
    root.mkdir(parents=True, exist_ok=True)
    for v in range(n):
        label = v % 2
        env = np.clip(np.convolve(rng.random(FRAMES), np.ones(3) / 3, "same"), 0.05, 1)
        mouth = rng.random(FRAMES) if label and not synced_fakes else env  # fakes: the mouth ignores the speech
        media = write_silent(root / f"v{v}.mp4") if label and silent_fakes else write_wav(root / f"v{v}.wav", env)
        video = f"{root.name}/v{v}"
        for f in range(FRAMES):
            lm = np.zeros((68, 2), np.float32)
            lm[60], lm[64] = (40, 80), (60, 80)
            lm[62], lm[66] = (50, 80 - 5 * mouth[f]), (50, 80 + 5 * mouth[f])
            values = (label, "fake" if label else "real", video, f, f"{video}/{f}", lm, f / FPS, str(media))
            for key, value in zip(rows, values, strict=True):
                rows[key].append(value)
    return Samples(
        crops=np.zeros((len(rows["labels"]), 8, 8, 3), np.uint8),
        labels=np.array(rows["labels"]),
        methods=np.array(rows["methods"], dtype=object),
        video_ids=np.array(rows["videos"], dtype=object),
        frame_index=np.array(rows["frames"]),
        ids=np.array(rows["ids"], dtype=object),
        landmarks=np.stack(rows["lms"]),
        timestamps=np.array(rows["times"]),
        media=np.array(rows["media"], dtype=object),
        has_audio=np.array([not str(m).endswith(".mp4") for m in rows["media"]]),
    )


def write_silent(path: Path) -> Path:
    """A short video without an audio track."""
    with VideoWriter(path, fps=FPS) as writer:
        for _ in range(2):
            writer.write(np.zeros((16, 16, 3), np.uint8))
    return path


def seen(samples: Samples, seed: int = 0) -> DetectorInput:
    return detector_input(samples, np.random.default_rng(seed))


def test_avsync_separates_lip_synced_from_unsynced_videos(tmp_path: Path) -> None:
    train, test = make_videos(tmp_path, 8, seed=0), make_videos(tmp_path / "test", 4, seed=1)
    det = create_detector("avsync", seed=0)
    assert det.skip_reason(seen(train)) is None
    scores = det.fit(seen(train), train.labels).score(seen(test))
    assert roc_auc(test.labels, scores) == 1.0


def test_signals_by_hand(tmp_path: Path) -> None:
    env = np.array([0.1, 1.0] * 8)
    ref = MediaRef(write_wav(tmp_path / "a.wav", env), "token")
    energy = audio_energy(ref, np.arange(16) / FPS + 0.05, 1 / FPS)
    assert energy is not None and np.corrcoef(energy, env)[0, 1] > 0.95
    assert "a.wav" not in repr(ref) and ref.open().name != str(tmp_path / "a.wav")
    x = np.sin(np.arange(20.0))
    assert lagged_correlations(x, np.roll(x, 2), 3)[3 + 2] > 0.99  # b[t+2] = a[t]
    lm = np.zeros((1, 68, 2))
    lm[0, 60], lm[0, 64], lm[0, 62], lm[0, 66] = (0, 0), (10, 0), (5, -1), (5, 1)
    assert abs(mouth_opening(lm)[0] - 0.2) < 1e-6


def test_avsync_skips_data_without_audio(tmp_path: Path) -> None:
    silent = replace(make_videos(tmp_path, 2), media=np.full(2 * FRAMES, None, dtype=object))
    assert "audio" in create_detector("avsync").skip_reason(seen(silent))


def test_silent_fakes_are_left_out_not_a_feature(tmp_path: Path) -> None:
    """Fakes lip-synced like the reals, half of them without a soundtrack: the silent ones score NaN and take no
    part in the fit (scores of the others are what a fit without them gives), so no-audio cannot mark a fake."""
    train = concat(
        [make_videos(tmp_path / "a", 8, 0, synced_fakes=True), make_videos(tmp_path / "b", 8, 1, True, True)]
    )
    test = concat([make_videos(tmp_path / "c", 8, 2, synced_fakes=True), make_videos(tmp_path / "d", 8, 3, True, True)])
    det = create_detector("avsync", seed=0).fit(seen(train), train.labels)
    scores = det.score(seen(test))
    silent = ~test.has_audio
    assert silent.sum() == 4 * FRAMES and np.isnan(scores[silent]).all() and np.isfinite(scores[~silent]).all()
    audible = train.has_audio
    alone = create_detector("avsync", seed=0).fit(seen(train.subset(audible)), train.labels[audible])
    np.testing.assert_allclose(alone.score(seen(test))[~silent], scores[~silent], atol=1e-9)


def test_runner_counts_what_avsync_leaves_out(tmp_path: Path) -> None:
    """FaceForensics++-like: every fake is silent. main's avsync scored AUC 1.0 from "no audio" alone; now the
    fakes are excluded, avsync cannot fit and is skipped, and the report gets the excluded counts."""
    parts = [make_videos(tmp_path / s, 6, seed, silent_fakes=True) for seed, s in enumerate(("tr", "va", "te"))]
    res = run_benchmark(Splits(*parts), {"avsync": lambda: create_detector("avsync")}, Protocol(n_boot=10))
    entry = res["detectors"]["avsync"]
    assert entry["status"] == "skipped" and "avsync" not in res["main"]
    assert entry["excluded"]["train"] == {"real": 0, "fake": 3 * FRAMES}


def test_runner_drops_declined_rows_from_metrics(tmp_path: Path) -> None:
    """Half the fakes silent: avsync is fitted and scored on the rest; the silent rows are counted, not scored."""

    def videos(split: str, seed: int) -> Samples:
        return concat(
            [make_videos(tmp_path / f"{split}a", 8, seed), make_videos(tmp_path / f"{split}b", 8, seed + 1, True)]
        )

    splits = Splits(videos("tr", 0), videos("va", 2), videos("te", 4))
    res = run_benchmark(splits, {"avsync": lambda: create_detector("avsync")}, Protocol(n_boot=10, cross_method=False))
    entry = res["detectors"]["avsync"]
    assert entry["status"] == "ok" and entry["excluded"]["test"] == {"real": 0, "fake": 4 * FRAMES}
    assert res["main"]["avsync"]["all"]["auc"] == 1.0  # the lip-sync cue, on the fakes that have a soundtrack
