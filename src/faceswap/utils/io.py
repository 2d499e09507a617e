"""Atomic file writes and safe paths: outputs are never left half-written."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faceswap.utils.errors import FaceswapError


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside `final`; rename it onto `final` only if the block succeeds."""
    final = Path(final)
    ensure_writable_dir(final.parent)
    suffix = suffix if suffix is not None else final.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".part{suffix}", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the user's usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(final: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)
    return Path(final)


def atomic_write_text(final: str | os.PathLike[str], text: str) -> Path:
    return atomic_write_bytes(final, text.encode("utf-8"))


def atomic_write_json(final: str | os.PathLike[str], obj: Any) -> Path:
    return atomic_write_text(final, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` if needed and fail with one line when it cannot be written."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FaceswapError(f"cannot create output folder {path}: {exc.strerror}", "choose a writable folder") from exc
    if not os.access(path, os.W_OK):
        raise FaceswapError(f"output folder {path} is read-only", "choose a writable folder or fix its permissions")
    return path


def require_file(path: str | os.PathLike[str], what: str = "input file") -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise FaceswapError(f"{what} not found: {path}", "check the path (relative paths are from the current folder)")
    if path.is_file() and path.stat().st_size == 0:
        raise FaceswapError(f"{what} is empty: {path}", "point to a non-empty file")
    return path


def safe_join(root: str | os.PathLike[str], relative: str) -> Path:
    """Join a path read from a manifest onto its root, refusing anything that escapes the root."""
    root_resolved = Path(root).resolve()
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise FaceswapError(
            f"manifest path escapes its root: {relative!r}", "manifests may only hold paths inside their folder"
        )
    full = (root_resolved / rel).resolve()
    if full != root_resolved and root_resolved not in full.parents:
        raise FaceswapError(f"manifest path escapes its root through a link: {relative!r}", "remove the symlink")
    return full


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise FaceswapError(
                    f"{path}:{line_no} is not valid JSON", "delete the file and rerun the command"
                ) from exc
    return rows


def write_jsonl(path: str | os.PathLike[str], rows: list[dict[str, Any]]) -> Path:
    text = "".join(json.dumps(r, sort_keys=True, default=_json_default) + "\n" for r in rows)
    return atomic_write_text(path, text)
