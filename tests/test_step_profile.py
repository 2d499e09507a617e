"""scripts/benchmarks/step_profile.py: the oneDNN kernel breakdown that tells two CPUs' convolutions apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from benchmarks.step_profile import conv_flops, onednn_kernels, parse_onednn_verbose

FWD = (
    "onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core,forward_training,"
    "src:f32::blocked:acdb::f0 wei:f32:a:blocked:Acdb16a::f0,attr-scratchpad:user,alg:convolution_direct,"
    "mb8_ic3oc16_ih64oh32kh5sh2dh0ph2_iw64ow32kw5sw2dw0pw2,0.125"
)


def test_conv_flops_counts_grouped_and_plain_problems() -> None:
    assert conv_flops("mb8_ic3oc16_ih64oh32kh5sh2dh0ph2_iw64ow32kw5sw2dw0pw2") == 2 * 8 * 16 * 32 * 32 * 3 * 25
    assert conv_flops("g32mb2_ic32oc32_ih8oh8kh3sh1dh0ph1_iw8ow8kw3sw1dw0pw1") == 2 * 2 * 32 * 8 * 8 * 1 * 9
    assert conv_flops("1024x1024:1024x1024") == 0.0  # not a convolution problem


def test_parse_sums_time_and_flops_by_kernel() -> None:
    lines = [
        "onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with Intel DL Boost",
        FWD,
        FWD,
        "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:f32 dst:f32,,,16x3x5x5,0.5",
        "unrelated output",
    ]
    parsed = parse_onednn_verbose(lines)
    assert parsed["isa"] == "Intel AVX-512 with Intel DL Boost"
    key = "convolution brg_conv_fwd:avx512_core forward_training"
    assert parsed["ms"] == {key: 0.25, "reorder jit:uni undef": 0.5}
    assert parsed["flops"][key] == 2 * conv_flops("mb8_ic3oc16_ih64oh32kh5sh2dh0ph2_iw64ow32kw5sw2dw0pw2")
    assert parsed["flops"]["reorder jit:uni undef"] == 0.0


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="torch built without oneDNN")
def test_onednn_kernels_of_a_real_step_count_its_convolution_flops() -> None:
    """One forward + backward of a small conv net: the kernels the log names add up to the counted FLOPs."""
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(16, 8, 3))
    x = torch.rand(8, 3, 64, 64)  # [N,3,H,W]: about a millisecond a kernel, well above the log's rounding

    def step(batch: torch.Tensor) -> None:
        net(batch).sum().backward()

    step(x)
    out = onednn_kernels(step, x, top=20)
    convs = {k: v for k, v in out["per_step"].items() if k.startswith("convolution")}
    assert out["isa"] and convs, out
    counted = sum(v["ms"] * v["gflops"] * 1e6 for v in convs.values() if v["gflops"])
    first, second = 2 * 8 * 64 * 64 * 16 * 3 * 9, 2 * 8 * 62 * 62 * 8 * 16 * 9  # forward FLOPs of each layer
    expected = 2 * first + 3 * second  # forward + backward weights of both, backward data of the second only
    assert abs(counted / expected - 1) < 0.05, (counted, expected)  # the log's ms and the GFLOP/s are rounded


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="torch built without oneDNN")
def test_compare_isas_runs_the_step_under_the_cap_it_names() -> None:
    """`step_profile.py --isa AVX2`: the child process's oneDNN reports the capped ISA and its kernels are AVX2."""
    from benchmarks.step_profile import compare_isas

    result = compare_isas(["AVX2"], steps=1)["AVX2"]
    assert "error" not in result, result
    assert "AVX2" in result["onednn"]["isa"] and result["s_per_step"] > 0
    convs = [k for k in result["onednn"]["per_step"] if k.startswith("convolution")]
    assert convs and all("avx512" not in k for k in convs), convs
