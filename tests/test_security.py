"""Untrusted files cannot run code: checkpoints load with weights_only=True and pickles are refused."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from faceswap.training.adapt import read_source
from faceswap.training.export import load_generator
from faceswap.utils.errors import FaceswapError


class _Exploit:
    """A pickle that would create a file when unpickled by a trusting loader."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def crafted(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    path = tmp_path / "generator.pt"
    torch.save({"format": "faceswap-generator", "state_dict": {}, "meta": _Exploit(marker)}, path)
    return path, marker


def test_generator_loader_refuses_code_in_a_checkpoint(crafted: tuple[Path, Path]) -> None:
    path, marker = crafted
    with pytest.raises(FaceswapError, match="cannot read generator checkpoint"):
        load_generator(path)
    assert not marker.exists(), "the payload ran"


def test_finetune_source_refuses_code_in_a_checkpoint(crafted: tuple[Path, Path]) -> None:
    path, marker = crafted
    with pytest.raises(FaceswapError, match="cannot read"):
        read_source(path)
    assert not marker.exists()


def test_plain_pickle_named_ckpt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    path.write_bytes(pickle.dumps(_Exploit(tmp_path / "pwned")))
    with pytest.raises(FaceswapError):
        load_generator(path)
    assert not (tmp_path / "pwned").exists()
