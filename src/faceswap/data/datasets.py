"""Research datasets as collection sources, read from torchvision's on-disk layouts.

`download: true` asks torchvision to fetch the data (online users); otherwise the files must already be
there. Reading is ours (plain files), so tiny local fixtures in the same layout test it offline.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from faceswap.data.sources import SOURCES, Row, identity_tree_source, image_rows
from faceswap.utils.errors import ConfigError, FaceswapError

LFW_DIRS = {"original": "lfw", "funneled": "lfw_funneled", "deepfunneled": "lfw-deepfunneled"}


@SOURCES.register("lfw")
def lfw_source(
    identity: str,
    out_dir: Path,
    root: str,
    name: str | None = None,
    rank: int | None = None,
    image_set: str = "funneled",
    download: bool = False,
    max_images: int | None = None,
) -> list[Row]:
    """LFW people (torchvision `LFWPeople` layout root/lfw-py/<image_set dir>/<Person_Name>/*.jpg)."""
    if image_set not in LFW_DIRS:
        raise ConfigError(f"unknown LFW image_set '{image_set}'", f"choose one of: {', '.join(LFW_DIRS)}")
    base = Path(root).expanduser() / "lfw-py" / LFW_DIRS[image_set]
    if download and not base.is_dir():
        from torchvision.datasets import LFWPeople

        _download(
            "LFW", lambda: LFWPeople(str(Path(root).expanduser()), split="10fold", image_set=image_set, download=True)
        )
    if not base.is_dir():
        raise FaceswapError(f"LFW not found at {base}", "set download=true (needs internet) or point root at your copy")
    return identity_tree_source(identity, out_dir, str(base), name=name, rank=rank, max_images=max_images)


def _download(name: str, fetch) -> None:
    """Run torchvision's download; a network or checksum failure becomes one line, not a traceback."""
    try:
        fetch()
    except Exception as exc:  # URLError, HTTPError, RuntimeError (checksum, Google Drive quota), OSError
        raise FaceswapError(
            f"downloading {name} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            "check the internet connection, or download it yourself into `root` and set download=false",
        ) from exc


def celeba_identities(base: Path) -> dict[int, list[str]]:
    """identity id -> image file names, from identity_CelebA.txt ('000001.jpg 2880' per line)."""
    table = base / "identity_CelebA.txt"
    if not table.is_file():
        raise FaceswapError(f"CelebA identity table missing: {table}", "set download=true or point root at your copy")
    out: dict[int, list[str]] = {}
    for line_no, line in enumerate(table.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit():
            raise FaceswapError(f"{table}:{line_no} is not '<file> <identity>'", "re-download identity_CelebA.txt")
        out.setdefault(int(parts[1]), []).append(parts[0])
    return out


@SOURCES.register("celeba")
def celeba_source(
    identity: str,
    out_dir: Path,
    root: str,
    celeb_id: int | None = None,
    rank: int | None = None,
    download: bool = False,
    max_images: int | None = None,
) -> list[Row]:
    """CelebA by identity (torchvision `CelebA` layout root/celeba/img_align_celeba + identity_CelebA.txt):
    one celebrity by id, or the `rank`-th by image count (1 = most)."""
    base = Path(root).expanduser() / "celeba"
    if download and not (base / "identity_CelebA.txt").is_file():
        from torchvision.datasets import CelebA

        _download(
            "CelebA", lambda: CelebA(str(Path(root).expanduser()), split="all", target_type="identity", download=True)
        )
    table = celeba_identities(base)
    if celeb_id is None:
        ranked = sorted(Counter({k: len(v) for k, v in table.items()}).items(), key=lambda kv: (-kv[1], kv[0]))
        rank = 1 if rank is None else int(rank)
        if not 1 <= rank <= len(ranked):
            raise ConfigError(f"rank={rank} but CelebA has {len(ranked)} identities", f"use 1..{len(ranked)}")
        celeb_id = ranked[rank - 1][0]
    if int(celeb_id) not in table:
        raise FaceswapError(f"CelebA identity {celeb_id} not in {base / 'identity_CelebA.txt'}", "pick an existing id")
    images = base / "img_align_celeba"
    files = [images / n for n in sorted(table[int(celeb_id)])]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise FaceswapError(f"{len(missing)} CelebA images missing, e.g. {missing[0]}", "re-extract img_align_celeba")
    rows = image_rows(identity, files[:max_images] if max_images else files)
    for row in rows:
        row["person"] = int(celeb_id)
    return rows
