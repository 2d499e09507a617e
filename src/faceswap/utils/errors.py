"""User-facing errors: one line naming the problem and the fix, never a traceback."""

from __future__ import annotations


class FaceswapError(Exception):
    """A user mistake or an unusable input. The CLI prints `error: <message>` and exits 2."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)


class NoFaceError(FaceswapError):
    """No face was found where one was required."""


class MediaError(FaceswapError):
    """A media file is missing, empty, corrupt or of an unsupported kind."""


class ConfigError(FaceswapError):
    """A config key is unknown, of the wrong type, or out of range."""
