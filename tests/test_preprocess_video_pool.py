"""`preprocess.workers=2` on video: segments tracked in worker processes give the face set of workers=1,
resume like it, and meet a damaged video or a failing worker with a counted skip or one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from faceswap.cli import run_command
from faceswap.commands import collect, preprocess
from faceswap.data import preprocess_job, video_pool
from faceswap.data.faceset import read_faceset
from faceswap.data.preprocess_job import JobSettings, run_job
from faceswap.face.detect import create_face_detector
from faceswap.face.extract import FaceExtractor
from faceswap.face.landmarks import create_landmarker
from faceswap.utils.errors import FaceswapError
from tests.conftest import compose_command

ONLY_A = ["preprocess.identities=[a]"]


@pytest.fixture(scope="module")
def sample_collect(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's identity `a` (24 frames with debug=fast), collected once per module."""
    root = tmp_path_factory.mktemp("collect")
    cfg = compose_command("collect", root, ["collect.identities=[a]"])
    collect.run(cfg)
    return Path(cfg.paths.collect_dir)


@pytest.fixture
def collected(compose_cfg: Any, sample_collect: Path) -> Path:
    cfg = compose_cfg("preprocess")
    shutil.copytree(sample_collect, cfg.paths.collect_dir)
    return Path(cfg.paths.root_dir)


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """Records the segments the parent plans for each video (empty list: tracked in-process)."""
    calls: list[list[Any]] = []
    original = video_pool.plan_segments

    def spy(*args: Any, **kwargs: Any) -> list[Any]:
        calls.append(original(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(video_pool, "plan_segments", spy)
    return calls


def _cut_faststart(clip: Path, keep: float = 0.6) -> None:
    """Re-mux with the index first (so the cut file still opens, as a partly downloaded video does), then cut."""
    tmp = clip.with_name("faststart.mp4")
    with av.open(str(clip)) as src, av.open(str(tmp), "w", format="mp4", options={"movflags": "faststart"}) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    data = tmp.read_bytes()
    clip.write_bytes(data[: int(len(data) * keep)])


def _run(root: Path, workers: int, *extra: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cfg = compose_command("preprocess", root, [*ONLY_A, f"preprocess.workers={workers}", *extra])
    preprocess.run(cfg)
    folder = Path(cfg.paths.faces_dir) / "a"
    return read_faceset(folder), json.loads((folder / "summary.json").read_text())


def test_two_workers_give_the_one_worker_face_set(collected: Path, planned: list[list[Any]]) -> None:
    one, one_summary = _run(collected, 1)
    two, two_summary = _run(collected, 2)
    assert [len(p) for p in planned] == [0, 2]  # workers=1 stays in-process; workers=2 cuts the clip in two
    first, second = planned[1]
    assert first.sent == tuple(range(12)) and second.sent == tuple(range(12, 24))
    assert second.indices[0] == 2 and second.position == 2  # 2 x detect_every warm-up frames, cadence aligned
    assert [r["frame_index"] for r in two] == [r["frame_index"] for r in one]
    assert [r["file"] for r in two] == [r["file"] for r in one]
    assert two_summary["dropped"] == one_summary["dropped"] and two_summary["faces"] == one_summary["faces"]
    diff = np.abs(np.array([r["landmarks"] for r in two]) - np.array([r["landmarks"] for r in one]))  # [F,68,2] px
    assert diff.max() < 1.0 and diff.mean() < 0.1, (diff.max(), diff.mean())  # identical on this machine
    assert {r["track_id"] for r in two} == {r["track_id"] for r in one}  # the face keeps its id across segments
    assert abs(two_summary["jitter_smoothed"] - one_summary["jitter_smoothed"]) < 0.05


def test_two_workers_resume_and_then_write_nothing(
    collected: Path, planned: list[list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = preprocess_job.FaceWriter.submit
    calls = {"n": 0}

    def crash_after_six(self: Any, row: dict[str, Any], faces: list[Any], dropped: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 6:
            raise KeyboardInterrupt
        original(self, row, faces, dropped)

    monkeypatch.setattr(preprocess_job.FaceWriter, "submit", crash_after_six)
    with pytest.raises(KeyboardInterrupt):
        _run(collected, 2)
    monkeypatch.setattr(preprocess_job.FaceWriter, "submit", original)
    rows, summary = _run(collected, 2)
    assert summary["frames_resumed"] == 6 and summary["frames_processed_now"] == summary["frames"] - 6
    assert [seg.sent[0] for seg in planned[-1]] == [6, 15]  # the 18 frames left, in two segments
    assert [r["frame_index"] for r in rows] == sorted(r["frame_index"] for r in rows)
    assert len({r["file"] for r in rows}) == len(rows) >= summary["frames"] - 1
    folder = collected / "runs" / "sample" / "faces" / "a"
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    _run(collected, 2)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == stamps


def test_damaged_video_with_two_workers_is_a_counted_skip(
    collected: Path, planned: list[list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    clip = collected / "runs" / "sample" / "collect" / "a" / "clip.mp4"
    _cut_faststart(clip)
    one_rows, one = _run(collected, 1)
    two_rows, two = _run(collected, 2)
    assert two["dropped"] == one["dropped"] and two["faces"] == one["faces"] > 0 and one["dropped"]["unreadable"] >= 1
    assert [r["frame_index"] for r in two_rows] == [r["frame_index"] for r in one_rows]
    clip.write_bytes(b"garbage, not a video")
    cfg = compose_command("preprocess", collected, [*ONLY_A, "preprocess.workers=2", "preprocess.force=true"])
    run_command("preprocess", cfg)
    summary = json.loads((Path(cfg.paths.faces_dir) / "a" / "summary.json").read_text())
    assert summary["faces"] == 0 and summary["dropped"] == {"unreadable": summary["frames"]}
    assert "Traceback" not in capsys.readouterr().err
    assert [len(p) for p in planned] == [0, 2, 0]  # a truncated clip still goes to the pool; garbage never does


def test_a_worker_that_cannot_start_is_one_line(collected: Path) -> None:
    settings = JobSettings(
        identity="a",
        collect_dir=collected / "runs" / "sample" / "collect" / "a",
        out_dir=collected / "faces_bad_worker",
        fingerprint="x",
        config_hash="x",
        workers=2,
        backend_specs=({"name": "no_such_detector"}, {"name": "dlib68"}),
    )
    detector, landmarker = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    with pytest.raises(FaceswapError, match="no_such_detector") as info:
        run_job(settings, detector, landmarker, FaceExtractor())
    assert "\n" not in str(info.value)
