"""The machine record written beside every timing names the CPU generation, not only lscpu's model name."""

from __future__ import annotations

from faceswap.utils.machine import cpu_id, describe_machine, machine_line, vector_isa

BLOCK = (
    "vendor_id\t: AuthenticAMD\ncpu family\t: {f}\nmodel\t\t: {m}\nmodel name\t: AMD EPYC\n"
    "stepping\t: 1\nflags\t\t: {flags}\n"
)


def test_cpu_id_and_isa_come_from_the_first_processor_only() -> None:
    two = BLOCK.format(f=25, m=17, flags="fpu avx2 avx512f avx512_bf16") + "\n"
    two += BLOCK.format(f=23, m=49, flags="fpu avx2")
    assert cpu_id(two) == "AuthenticAMD family 25 model 17 stepping 1"
    assert vector_isa(two) == ["AVX2", "AVX-512", "AVX-512 BF16"]
    assert vector_isa(BLOCK.format(f=23, m=49, flags="fpu avx2")) == ["AVX2"]
    assert cpu_id("") == "unknown" and vector_isa("") == []


def test_describe_machine_on_this_machine() -> None:
    info = describe_machine()
    assert info["cpus"] >= 1 and info["cpu"] and info["cpu_id"]
    assert str(info["cpus"]) in machine_line(info) and info["cpu"] in machine_line(info)
