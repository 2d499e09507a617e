"""Every family of a `faceswap generate` run survives the FF++ and DeepfakeBench layouts: export puts each
method in its own manipulation folder / label, import restores method and `family`, and bench reads it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from faceswap.commands.bench import run as run_bench
from faceswap.commands.generate import run as run_generate
from faceswap.synth.deepfakebench import export_deepfakebench, import_deepfakebench
from faceswap.synth.ffpp import export_ffpp, import_ffpp, read_ffpp
from faceswap.synth.index import read_index
from faceswap.synth.splits import check_no_leakage
from tests.synth_media import write_run_inputs

FRAMES = 6
DEFAULT_FAMILIES = {"ae_swap", "mesh_swap", "reenact", "mouth", "sbi"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_run_inputs(tmp_path_factory.mktemp("export") / "run", frames=FRAMES)


def test_families_round_trip_through_ffpp_and_deepfakebench(compose_cfg, inputs, tmp_path: Path) -> None:
    run = inputs["run_dir"]
    overrides = [
        f"paths.faces_dir={run / 'faces'}",
        f"paths.collect_dir={run / 'collect'}",
        f"manipulation.ae_swap.checkpoint={inputs['checkpoint']}",
        "manipulation.ae_swap.mask=hull",
        "generate.segment_frames=2",
    ]
    cfg = compose_cfg("generate", overrides)  # the default generate.methods: every family but ae_swap_liae
    run_generate(cfg)
    original = read_index(cfg.paths.synthetic_dir)["samples"]
    family_of = {r["method"]: r["family"] for r in original if r["label"] == 1}
    assert set(family_of.values()) == DEFAULT_FAMILIES

    root = export_ffpp(cfg.paths.synthetic_dir, tmp_path / "ffpp", compression="raw")
    folders = {p.name for p in (root / "manipulated_sequences").iterdir()}
    assert folders == set(family_of)  # one manipulation folder per method
    videos = read_ffpp(root, "raw")
    back = read_index(import_ffpp(videos, tmp_path / "ff_in", frames_per_video=FRAMES, crop_size=64))["samples"]
    check_no_leakage(back)
    assert {(r["method"], r["family"]) for r in back if r["label"] == 1} == set(family_of.items())
    ids = json.loads((root / "faceswap_ids.json").read_text())
    assert Counter((r["method"], r["split"]) for r in back) == Counter(
        (r["method"], r["split"]) for r in original if r["video_id"] in ids or r["label"] == 1
    )

    out_json, _ = export_deepfakebench(cfg.paths.synthetic_dir, tmp_path / "dfb" / "faceswap.json")
    labels = set(json.loads(out_json.read_text())["faceswap"])
    assert labels == {"faceswap-real"} | {f"faceswap-{m}" for m in family_of}
    imported = import_deepfakebench(out_json, tmp_path / "dfb_in")
    dfb = read_index(imported)["samples"]
    assert {(r["method"], r["family"]) for r in dfb if r["label"] == 1} == {
        (f"faceswap-{m}", f) for m, f in family_of.items()
    }

    bench_cfg = compose_cfg(
        "bench",
        [
            f"paths.synthetic_dir={tmp_path / 'ff_in'}",
            "detector=[spectrum]",
            "bench.n_boot=20",
            "bench.perturbations=[]",
        ],
    )
    res = run_bench(bench_cfg)["results"]
    assert set(res["methods"]) == set(family_of) and set(res["cross_method"]["spectrum"]) == set(family_of)
