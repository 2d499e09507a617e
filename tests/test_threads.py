"""The thread/worker rule: all CPUs for intra-op work, quotas and affinity respected, explicit values win."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
import torch

from faceswap.utils import threads
from faceswap.utils.threads import apply_threads, auto_workers, cgroup_cpu_limit, plan_threads


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_all_cores_go_to_intra_op_beside_light_workers() -> None:
    # the 2-core case: one DataLoader worker must not leave a core idle
    plan = plan_threads(None, workers=1, cpus=2, load=0.0)
    assert (plan.intra_op, plan.opencv, plan.workers, plan.interop) == (2, 2, 1, 1)
    assert plan_threads(0, workers=6, cpus=16, load=3.0).intra_op == 16
    assert plan_threads(None, cpus=16, load=0.0).interop == 2


def test_busy_workers_take_their_cores() -> None:
    assert plan_threads(None, workers=3, busy_workers=True, cpus=4, load=0.0).intra_op == 1
    assert plan_threads(None, workers=4, busy_workers=True, cpus=4, load=0.0).intra_op == 1  # never below one


def test_explicit_values_win(monkeypatch: pytest.MonkeyPatch) -> None:
    assert plan_threads(3, workers=1, cpus=2).intra_op == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert plan_threads(None, cpus=8).intra_op == 1
    assert plan_threads(4, cpus=8).intra_op == 4  # the config key beats the environment


def test_crowded_machine_probes_instead_of_taking_every_core() -> None:
    asked: list[list[int]] = []

    def probe(candidates: list[int]) -> int:
        asked.append(candidates)
        return 1

    assert plan_threads(None, cpus=2, load=13.0, probe=probe).intra_op == 1
    assert plan_threads(None, cpus=8, load=20.0, probe=probe).intra_op == 1
    assert asked == [[1, 2], [1, 4, 8]]
    assert plan_threads(None, cpus=2, load=2.4, probe=probe).intra_op == 2  # our own 2 busy threads: not crowded
    assert plan_threads(2, cpus=2, load=13.0, probe=probe).intra_op == 2  # an explicit count is never probed
    assert len(asked) == 2


def test_probe_returns_a_candidate() -> None:
    assert threads.fastest_threads([1, 2], rounds=1) in (1, 2)


def test_a_loader_beside_cpu_training_works_in_the_training_process_on_two_cpus(compose_cfg, monkeypatch) -> None:
    """On 2 CPUs a worker process cost a 300-step run 8 s (its start per phase, its share of both cores);
    with more CPUs one worker; an explicit trainer.num_workers wins; a GPU's loader keeps its own rule."""
    from faceswap.commands import training_config

    assert [auto_workers(None, "cpu_loader", cpus=n) for n in (1, 2, 3, 16)] == [0, 0, 1, 1]
    assert auto_workers(2, "cpu_loader", cpus=2) == 2
    cfg = compose_cfg("train", ["trainer.num_workers=null"], tiny=False)
    for cpus, expected in ((2, 0), (8, 1)):
        monkeypatch.setattr(training_config, "available_cpus", lambda n=cpus: n)
        assert training_config.loader_workers(cfg) == expected
    pinned = compose_cfg("train", ["trainer.num_workers=1"], tiny=False)
    assert training_config.loader_workers(pinned) == 1
    assert compose_cfg("train", [], tiny=False).trainer.num_workers is None  # trainer=cpu's default is the rule


def test_auto_workers() -> None:
    assert auto_workers(None, "loader", cpus=2) == 1
    assert auto_workers(None, "loader", cpus=16) == 8
    assert auto_workers(0, "loader", cpus=16) == 0  # 0 = load in the main process, as DataLoader means it
    assert auto_workers(None, "process", cpus=2) == 1
    assert auto_workers(0, "process", cpus=6) == 5
    assert auto_workers(None, "process", cpus=64) == 8
    assert auto_workers(3, "process", cpus=2) == 3


def test_cgroup_quota(tmp_path: Path) -> None:
    v2 = tmp_path / "cpu.max"
    v1 = (tmp_path / "quota", tmp_path / "period")
    v2.write_text("150000 100000\n")
    assert cgroup_cpu_limit(v2, v1) == 2  # 1.5 CPUs rounds up
    v2.write_text("max 100000\n")
    assert cgroup_cpu_limit(v2, v1) is None
    v2.unlink()
    v1[0].write_text("400000\n")
    v1[1].write_text("100000\n")
    assert cgroup_cpu_limit(v2, v1) == 4
    v1[0].write_text("-1\n")
    assert cgroup_cpu_limit(v2, v1) is None


def test_available_cpus_follows_affinity_and_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    monkeypatch.setattr(threads, "cgroup_cpu_limit", lambda: None)
    assert threads.available_cpus() == 4
    monkeypatch.setattr(threads, "cgroup_cpu_limit", lambda: 2)
    assert threads.available_cpus() == 2


def test_apply_sets_torch_and_opencv() -> None:
    before = torch.get_num_threads(), cv2.getNumThreads()
    try:
        apply_threads(plan_threads(1, cpus=2))
        assert torch.get_num_threads() == 1 and cv2.getNumThreads() == 1
        apply_threads(plan_threads(None, cpus=2, load=0.0))
        assert torch.get_num_threads() == 2 and cv2.getNumThreads() == 2
    finally:
        torch.set_num_threads(before[0])
        cv2.setNumThreads(before[1])
