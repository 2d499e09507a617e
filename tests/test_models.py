"""Networks: every architecture x resolution builds and trains a step; the generator contract holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from faceswap.models import GENERATORS, PatchDiscriminator, build_generator, create_generator, generator_name
from faceswap.models.blocks import ResidualBlock
from faceswap.training.export import generator_meta, load_generator, save_generator
from faceswap.utils.errors import ConfigError


@pytest.fixture(autouse=True)
def one_thread() -> object:
    """One OpenMP thread: tiny convs gain nothing from two, and a busy 2-core CI box makes them much slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TINY = {"enc_dims": 4, "latent_dims": 16, "inter_dims": 8, "dec_dims": 4, "mask_dims": 2}


@pytest.mark.parametrize("arch", GENERATORS.names())
@pytest.mark.parametrize("resolution", [64, 96, 128, 256])
def test_generator_builds_and_steps(arch: str, resolution: int) -> None:
    gen = build_generator({"name": arch, "resolution": resolution, **TINY}, ["a", "b"])
    x = torch.rand(2, 3, resolution, resolution)
    before = [p.detach().clone() for p in gen.parameters()]
    opt = torch.optim.Adam(gen.parameters(), lr=1e-3)
    rgb_a, mask_a = gen(x, "a")
    rgb_b, mask_b = gen(x, "b")
    assert rgb_a.shape == (2, 3, resolution, resolution) and mask_a.shape == (2, 1, resolution, resolution)
    assert float(rgb_b.min()) >= 0 and float(rgb_b.max()) <= 1 and 0 <= float(mask_b.min()) <= float(mask_b.max()) <= 1
    ((rgb_a - x).abs().mean() + (rgb_b - x).abs().mean() + mask_a.mean() + mask_b.mean()).backward()
    opt.step()
    changed = sum(not torch.equal(b, p) for b, p in zip(before, gen.parameters(), strict=True))
    assert changed == len(before)  # every parameter is reached by the two targets together


@pytest.mark.parametrize("arch", GENERATORS.names())
def test_separable_decoder_is_lighter_and_survives_an_export(arch: str) -> None:
    dense = build_generator({"name": arch, "resolution": 64, **TINY}, ["a", "b"])
    sep = build_generator({"name": arch, "resolution": 64, **TINY, "dec_dims": 8, "separable": True}, ["a", "b"])
    wide = build_generator({"name": arch, "resolution": 64, **TINY, "dec_dims": 8}, ["a", "b"])
    count = lambda g: sum(p.numel() for p in g.parameters())  # noqa: E731
    assert count(sep) < count(wide) and count(dense) < count(wide)
    groups = [m for m in sep.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert groups and all(m.groups == m.in_channels == m.out_channels for m in groups)  # depthwise 3x3
    rebuilt = build_generator(sep.config, ["a", "b"])  # an export stores `config`; loading rebuilds the same net
    rebuilt.load_state_dict(sep.state_dict())
    x = torch.rand(2, 3, 64, 64)
    assert torch.equal(rebuilt(x, "b")[0], sep(x, "b")[0])


@pytest.mark.parametrize("arch", GENERATORS.names())
def test_deeper_decoder_keeps_shapes_and_the_one_block_layout(arch: str) -> None:
    base = build_generator({"name": arch, "resolution": 64, **TINY}, ["a", "b"])
    deep = build_generator({"name": arch, "resolution": 64, **TINY, "dec_blocks": 2}, ["a", "b"])
    blocks = lambda g: sum(isinstance(m, ResidualBlock) for m in g.modules())  # noqa: E731
    assert blocks(deep) == 2 * blocks(base) > 0
    x = torch.rand(2, 3, 64, 64)
    assert [t.shape for t in deep(x, "a")] == [t.shape for t in base(x, "a")]
    # dec_blocks=1 is the layout generator.pt files from before the option load into (same state-dict keys)
    decoder = "decoder_a" if arch == "df" else "decoder"
    assert {f"{decoder}.rgb_path.1.conv1.weight", f"{decoder}.rgb_path.2.conv.weight"} <= set(base.state_dict())
    assert build_generator(deep.config, ["a", "b"]).state_dict().keys() == deep.state_dict().keys()
    with pytest.raises(ConfigError, match="dec_blocks=0 is below 1"):
        build_generator({"name": arch, "resolution": 64, **TINY, "dec_blocks": 0}, ["a", "b"])


def test_targets_use_their_own_path() -> None:
    df = build_generator({"name": "df", "resolution": 64, **TINY}, ["x", "y"])
    assert set(df.module_groups()) == {"encoder", "inter", "decoder_a", "decoder_b"}
    liae = build_generator({"name": "liae", "resolution": 64, **TINY}, ["x", "y"])
    assert set(liae.module_groups()) == {"encoder", "inter_ab", "inter_b", "decoder"}
    x = torch.rand(1, 3, 64, 64)
    # the B-only inter must not influence target A
    out_a = liae(x, "x")[0]
    torch.nn.init.normal_(liae.inter_b.dense1.weight)
    assert torch.equal(out_a, liae(x, "x")[0])
    assert not torch.equal(liae(x, "y")[0], out_a)


def test_generator_rejects_bad_inputs() -> None:
    gen = build_generator({"name": "df", "resolution": 64, **TINY}, ["a", "b"])
    with pytest.raises(ConfigError):
        gen(torch.rand(1, 3, 64, 64), "nobody")
    with pytest.raises(ValueError):
        gen(torch.rand(1, 3, 96, 96), "a")
    with pytest.raises(ConfigError):
        build_generator({"name": "df", "resolution": 72}, ["a", "b"])
    with pytest.raises(ConfigError):
        build_generator({"name": "df", "resolution": 64}, ["a", "a"])
    with pytest.raises(ConfigError):
        build_generator({"name": "nope", "resolution": 64}, ["a", "b"])
    assert {"df", "liae"} <= set(GENERATORS.names())


@pytest.mark.parametrize("arch", GENERATORS.names())
def test_config_records_the_registered_name_and_old_exports_still_load(arch: str, tmp_path: Path) -> None:
    gen = create_generator(arch, ["a", "b"], resolution=64, **TINY)
    assert gen.name == arch and gen.config["name"] == arch and "arch" not in gen.config
    meta = generator_meta(gen)
    meta["model"] = {"arch": arch, **{k: v for k, v in gen.config.items() if k != "name"}}  # before the rename
    loaded, loaded_meta = load_generator(save_generator(tmp_path / "generator.pt", gen, meta))
    x = torch.rand(1, 3, 64, 64)
    assert type(loaded) is type(gen) and torch.equal(loaded(x, "b")[0], gen.eval()(x, "b")[0])
    assert generator_name(loaded_meta) == arch


@pytest.mark.parametrize("n_layers,field", [(2, 34), (3, 70), (4, 142)])
def test_patch_discriminator_depth_and_spectral_norm(n_layers: int, field: int) -> None:
    disc = PatchDiscriminator(dims=8, n_layers=n_layers, spectral_norm=True)
    assert disc.receptive_field == field
    convs = [m for m in disc.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(hasattr(c, "parametrizations") for c in convs)
    logits = disc(torch.rand(2, 3, 128, 128))
    assert logits.ndim == 4 and logits.shape[:2] == (2, 1) and logits.shape[-1] > 1  # a map of patch scores
    plain = PatchDiscriminator(dims=8, n_layers=n_layers)
    assert not any(hasattr(m, "parametrizations") for m in plain.modules())
