"""GPU recipes (experiment=gpu_128 / gpu_256) checked on the CPU: every experiment composes (Hydra's own
`glob(*)` over the group), the recipes say what a card needs, and each trains 3 steps at tiny widths."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from faceswap.cli import config_dir
from faceswap.commands import train
from faceswap.training.export import load_generator
from tests.conftest import compose_command
from tests.train_faces import sample_faces

RECIPES = {"gpu_128": 128, "gpu_256": 256}
VIDEOS = ["++data.identities.a.path=a.mp4", "++data.identities.b.path=b.mp4"]  # ++: the sample data has no path
# what the CPU smoke run changes: the CPU trainer, tiny widths, 2 steps, no loader processes
TINY_ON_CPU = [
    "trainer=cpu",
    "trainer.num_workers=0",
    "trainer.threads=1",
    "model.generator.enc_dims=4",
    "model.generator.latent_dims=16",
    "model.generator.inter_dims=16",
    "model.generator.dec_dims=4",
    "model.generator.mask_dims=4",
    "model.discriminator.dims=4",
    "train.steps=3",  # one step per phase (warm-up, GAN, refine)
    "train.batch_size=2",
    "train.preview_every=3",
    "train.checkpoint_every=3",
    "train.keep_every=0",
    "train.timelapse=false",
    "data.holdout.gap_s=0.25",  # the sample faces span 1 s (as debug=fast)
    "trainer.lightning.enable_progress_bar=false",
]


def experiment_names() -> list[str]:
    """`experiment=glob(*)` expanded by Hydra against the experiment group, as `faceswap train -m` would."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        options = GlobalHydra.instance().config_loader().get_group_options("experiment")
    GlobalHydra.instance().clear()
    override = OverridesParser.create().parse_override("experiment=glob(*)")
    return sorted(override.value().filter(options))


def test_glob_finds_every_experiment_and_each_composes_for_the_pipeline(tmp_path: Path) -> None:
    names = experiment_names()
    assert {"gpu_128", "gpu_256", "cpu_hour", "cpu_quick"} <= set(names)
    assert len(names) == len(list((config_dir() / "experiment").glob("*.yaml")))
    for name in names:
        cfg = compose_command("pipeline", tmp_path, [f"experiment={name}", *VIDEOS], tiny=False)
        for section in ("model", "trainer", "train", "finetune", "phases"):  # resolves: no dangling ${...}
            assert OmegaConf.to_container(cfg[section], resolve=True), (name, section)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_loads_a_card(name: str, tmp_path: Path) -> None:
    cfg = compose_command("pipeline", tmp_path, [f"experiment={name}", *VIDEOS], tiny=False)
    resolution = RECIPES[name]
    assert cfg.model.resolution == resolution and cfg.preprocess.size == resolution
    assert cfg.trainer.lightning.accelerator == "gpu" and cfg.trainer.lightning.precision == "bf16-mixed"
    assert cfg.trainer.channels_last == (name == "gpu_128")  # NCHW measured faster at 256 px on an H200
    assert cfg.trainer.num_workers >= 8
    assert cfg.model.generator.dec_dims >= 64 and cfg.train.batch_size >= 16
    assert cfg.swap.device == "cuda" and cfg.generate.device == "cuda"
    ddp = compose_command("train", tmp_path, [f"experiment={name}", "trainer=ddp"], tiny=False)
    assert ddp.trainer.name == "ddp" and ddp.trainer.lightning.devices == -1 and ddp.model.resolution == resolution


@pytest.mark.parametrize("name,arch", [("gpu_128", "df"), ("gpu_256", "liae")])
def test_recipe_trains_on_cpu_at_tiny_widths(name: str, arch: str, tmp_path: Path) -> None:
    overrides = [f"experiment={name}", f"model={arch}", f"paths.faces_dir={sample_faces()}", *TINY_ON_CPU]
    cfg = compose_command("train", tmp_path, overrides, tiny=False)
    train.run(cfg)
    out = Path(cfg.paths.train_dir)
    assert torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 3
    generator, meta = load_generator(out / "generator.pt")
    assert meta["resolution"] == RECIPES[name] and meta["model"]["name"] == arch
    rgb, mask = generator(torch.rand(1, 3, RECIPES[name], RECIPES[name]), meta["identities"][1])
    assert rgb.shape == (1, 3, RECIPES[name], RECIPES[name]) and mask.shape[1] == 1


def test_gpu_benchmark_measures_each_recipe_step_on_cpu_at_tiny_widths() -> None:
    """scripts/benchmarks/gpu_recipes.py, the CUDA row of scripts/benchmark.py, run on the CPU: every variant
    composes, and a measured step gives images/s and a FLOP rate consistent with its own step time."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from benchmarks.gpu_recipes import VARIANTS, measure, run

    assert run(device="cpu") == {"status": "no CUDA device"}
    tiny = [o for o in TINY_ON_CPU if o.startswith(("model.", "train.batch_size", "trainer="))]
    for label, overrides in VARIANTS[:4:3]:  # gpu_128 df and gpu_256 liae: both resolutions, both models
        row = measure([*overrides, *tiny], 2, peak_tflops=1e-3, device="cpu")
        assert row["batch_size"] == 2 and row["s_per_step"] > 0, label
        assert row["images_per_s"] == pytest.approx(4 / row["s_per_step"], rel=0.02)
        assert row["channels_last"] == label.startswith("gpu_128") and row["params_g_M"] > 0
        assert row["fraction_of_bf16_peak"] > 0  # tiny FLOPs against a tiny peak: the ratio is computed
    # the same step through Lightning (bf16-mixed Trainer): its own timing, FLOPs as the bare step's
    bare = measure(["experiment=gpu_128", *tiny], 2, peak_tflops=1e-3, device="cpu")
    row = measure(["experiment=gpu_128", "+lightning=true", *tiny], 2, peak_tflops=1e-3, device="cpu")
    assert row["lightning"] and not bare["lightning"] and row["tflop_per_step"] == bare["tflop_per_step"]
    assert row["images_per_s"] == pytest.approx(4 / row["s_per_step"], rel=0.02) and row["s_per_step"] > 0


def test_gpu_benchmark_runs_the_variants_it_is_given_in_that_order() -> None:
    """FACESWAP_GPU_VARIANTS picks the rows of a short GPU session; a misspelt name stops before any work."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from benchmarks.gpu_recipes import VARIANTS, selected

    assert selected(None) == VARIANTS and len({label for label, _ in VARIANTS}) == len(VARIANTS)
    assert [label for label, _ in selected("gpu_128_df_lightning,gpu_128_df")] == ["gpu_128_df_lightning", "gpu_128_df"]
    with pytest.raises(SystemExit, match="gpu_128_dff"):
        selected("gpu_128_dff")


def test_sync_counter_counts_the_host_waits_of_one_step_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The GPU row's host-wait count, with CUDA's sync debug mode stood in for by the warning it raises."""
    import sys
    import warnings
    from types import SimpleNamespace

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from benchmarks.gpu_recipes import SyncCounter

    modes: list[object] = []
    monkeypatch.setattr(torch.cuda, "set_sync_debug_mode", modes.append)
    counter, trainer = SyncCounter(at_step=1), SimpleNamespace(global_step=0)
    for step in range(3):
        trainer.global_step = step
        counter.on_train_batch_start(trainer)
        warnings.warn("called a synchronizing CUDA operation", UserWarning, stacklevel=1)
        warnings.warn("an unrelated warning", UserWarning, stacklevel=1)
        counter.on_train_batch_end(trainer)
    assert modes == ["warn", 0]  # on for step 1 only
    assert sum(counter.where.values()) == 1 and next(iter(counter.where)).startswith("test_gpu_recipes.py:")
