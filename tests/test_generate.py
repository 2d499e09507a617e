"""`faceswap generate`: labelled real/fake crops with masks and full label records, leakage-free splits,
no metadata in the crops, merging of methods across runs, and `faceswap bench` on the result."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.commands.bench import run as run_bench
from faceswap.commands.generate import run as run_generate
from faceswap.synth.index import read_index
from faceswap.synth.splits import check_no_leakage
from faceswap.utils.errors import FaceswapError
from tests.synth_media import write_run_inputs

FRAMES = 12


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_run_inputs(tmp_path_factory.mktemp("gen_inputs") / "run", frames=FRAMES)


def _overrides(inputs: dict[str, Path], *extra: str) -> list[str]:
    run = inputs["run_dir"]
    base = [
        f"paths.faces_dir={run / 'faces'}",
        f"paths.collect_dir={run / 'collect'}",
        f"manipulation.ae_swap.checkpoint={inputs['checkpoint']}",
        "manipulation.ae_swap.mask=hull",
        "generate.methods=[ae_swap,sbi]",
        "generate.segment_frames=3",
    ]
    keys = {e.split("=", 1)[0] for e in extra}
    return [o for o in base if o.split("=", 1)[0] not in keys] + list(extra)


def png_chunks(path: Path) -> list[str]:
    data = path.read_bytes()
    pos, chunks = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append(data[pos + 4 : pos + 8].decode("ascii"))
        pos += 12 + length
    return chunks


def test_generate_writes_labelled_crops(compose_cfg, inputs) -> None:
    cfg = compose_cfg("generate", _overrides(inputs))
    out = run_generate(cfg)
    root = Path(cfg.paths.synthetic_dir)
    doc = read_index(root)
    recs = doc["samples"]
    reals = [r for r in recs if r["label"] == 0]
    swaps = [r for r in recs if r["method"] not in ("real", "sbi")]
    sbis = [r for r in recs if r["method"] == "sbi"]
    assert len(reals) == 2 * FRAMES and len(swaps) == len(reals) and len(sbis) == len(reals)
    assert out["samples"] == len(recs) and set(out["methods"]) == {swaps[0]["method"], "sbi"}
    fake = swaps[0]
    assert fake["source_identity"] != fake["target_identity"] and {
        fake["source_identity"],
        fake["target_identity"],
    } == {"a", "b"}
    assert len(fake["checkpoint_sha256"]) == 64 and fake["postprocess"]["color"] == cfg.postprocess.color
    assert len(fake["landmarks"]) == 68 and fake["mask"] and fake["split"] in ("train", "val", "test")
    check_no_leakage(recs)
    splits_of = {}
    for r in recs:
        splits_of.setdefault(r["video_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits_of.values()) and {r["split"] for r in recs} == {"train", "val", "test"}
    # the fake differs from its real inside the mask and equals it well outside
    by_key = {(r["video_id"], r["frame_index"]): r for r in reals}
    for rec in swaps[:6]:
        real = cv2.imread(str(root / by_key[(rec["video_id"], rec["frame_index"])]["file"])).astype(int)
        img = cv2.imread(str(root / rec["file"])).astype(int)
        mask = cv2.imread(str(root / rec["mask"]), cv2.IMREAD_GRAYSCALE)
        far = cv2.dilate((mask > 0).astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
        assert far.any() and np.array_equal(img[far], real[far])
        assert np.abs(img - real)[mask > 200].mean() > 2
    for rec in recs[:5]:
        assert set(png_chunks(root / rec["file"])) == {"IHDR", "IDAT", "IEND"}  # no tEXt/eXIf/iTXt: no metadata
    # self-blends follow generate.landmarks (redetect) like every fake: fitted on the blended crop, not copied
    moved = [s["landmarks"] != by_key[(s["video_id"], s["frame_index"])]["landmarks"] for s in sbis]
    assert np.mean(moved) > 0.5


def test_runs_merge_methods_and_bench_reads_them(compose_cfg, inputs) -> None:
    run_generate(compose_cfg("generate", _overrides(inputs, "manipulation.ae_swap.method=rct")))
    cfg = compose_cfg(
        "generate",
        _overrides(inputs, "manipulation.ae_swap.method=plain", "postprocess.color=none", "generate.methods=[ae_swap]"),
    )
    run_generate(cfg)
    methods = {r["method"] for r in read_index(cfg.paths.synthetic_dir)["samples"]}
    assert methods == {"real", "rct", "plain", "sbi"}
    bench_cfg = compose_cfg(
        "bench", ["detector=[spectrum]", "bench.n_boot=20", "~bench.robustness", "+bench.robustness={jpeg:[50]}"]
    )
    res = run_bench(bench_cfg)["results"]
    auc = res["main"]["spectrum"]["all"]["auc"]
    assert 0.0 <= auc <= 1.0 and set(res["cross_method"]["spectrum"]) == {"rct", "plain", "sbi"}
    assert json.loads((Path(bench_cfg.paths.bench_dir) / "results.json").read_text())["methods"] == [
        "plain",
        "rct",
        "sbi",
    ]


def test_video_route_and_missing_checkpoint(compose_cfg, inputs) -> None:
    cfg = compose_cfg(
        "generate",
        _overrides(
            inputs,
            "generate.targets=video",
            "generate.max_frames=4",
            "generate.methods=[ae_swap]",
            "generate.landmarks=source",
        ),
    )
    run_generate(cfg)
    recs = read_index(cfg.paths.synthetic_dir)["samples"]
    assert sum(r["label"] == 0 for r in recs) == 8 and all(r["label"] == 0 or r["method"] != "sbi" for r in recs)
    bad = compose_cfg(
        "generate",
        _overrides(
            inputs, "manipulation.ae_swap.checkpoint=/nonexistent/g.pt", "manipulation.ae_swap.checkpoint_fallback=null"
        ),
    )
    with pytest.raises(FaceswapError, match="generator checkpoint not found"):
        run_generate(bad)


def test_provenance_detects_labelled_files_and_is_chance_when_stripped(compose_cfg, inputs) -> None:
    cfg = compose_cfg("generate", _overrides(inputs, "manipulation.ae_swap.method=swap", "generate.methods=[ae_swap]"))
    run_generate(cfg)
    recs = read_index(cfg.paths.synthetic_dir)["samples"]
    published = {r["published"] for r in recs if r["label"] == 1}
    assert len(published) == 2 and all((Path(cfg.paths.synthetic_dir) / p).is_file() for p in published)
    bench_cfg = compose_cfg("bench", ["detector=[provenance,provenance_stripped]", "bench.n_boot=20"])
    res = run_bench(bench_cfg)["results"]
    assert res["main"]["provenance"]["swap"]["auc"] == 1.0
    assert res["main"]["provenance_stripped"]["swap"]["auc"] == 0.5
    assert res["detectors"]["provenance"]["in_average"] is False and "provenance" not in res["robustness"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generate_never_deletes_an_earlier_dataset_it_cannot_merge_with(compose_cfg, inputs) -> None:
    cfg = compose_cfg(
        "generate",
        _overrides(inputs, "manipulation.ae_swap.method=rct", "generate.methods=[ae_swap]", "generate.publish=false"),
    )
    run_generate(cfg)
    out = Path(cfg.paths.synthetic_dir)
    index = out / "index.json"
    before = _snapshot(out)
    assert any(name.startswith("real/") for name in before)
    other = _overrides(
        inputs, "manipulation.ae_swap.method=plain", "generate.methods=[ae_swap]", "generate.publish=false"
    )
    for extra, problem in (
        (["generate.crop_size=96"], "128 px crops"),
        (["generate.merge=false"], r"merge=false would delete methods \['rct'\]"),
    ):
        with pytest.raises(FaceswapError, match=problem) as err:
            run_generate(compose_cfg("generate", [*other, *extra]))
        assert "paths.synthetic_dir" in str(err.value) and "generate.overwrite=true" in str(err.value)
        assert _snapshot(out) == before  # nothing deleted or rewritten
    index.write_text('{"format": "faceswap-synthetic", "samp')  # e.g. a hand edit gone wrong
    before = _snapshot(out)
    with pytest.raises(FaceswapError, match="not valid JSON"):
        run_generate(compose_cfg("generate", other))
    assert _snapshot(out) == before
    run_generate(compose_cfg("generate", [*other, "generate.overwrite=true"]))  # the explicit way to replace it
    assert {r["method"] for r in read_index(out)["samples"]} == {"real", "plain"}
