"""User-facing errors: one line naming the problem and the fix, never a traceback.

Library code names the problem in its own terms and, where one argument is at fault, passes it as `param`
(the library's argument name, e.g. `param="mask"`); it never names config keys. Commands translate:
`faceswap.commands.keys.translate_errors` maps `param` to the config key and prefixes the message with it.
"""

from __future__ import annotations


class FaceswapError(Exception):
    """A user mistake or an unusable input. The CLI prints `error: <message>` and exits 2."""

    def __init__(
        self, problem: str, fix: str | None = None, *, param: str | None = None, suggest: str | None = None
    ) -> None:
        self.problem = problem
        self.fix = fix
        self.param = param  # the library argument at fault, for the command to name its config key
        self.suggest = suggest  # a value of `param` that works, rendered by the command as key=value
        super().__init__(f"{problem} — {fix}" if fix else problem)

    def for_key(self, key: str) -> FaceswapError:
        """The same error (same class) naming the config key behind `param` (and `key=suggest`)."""
        fix = f"{self.fix} ({key}={self.suggest})" if self.suggest is not None else self.fix
        return type(self)(f"{key}: {self.problem}", fix)


class NoFaceError(FaceswapError):
    """No face was found where one was required."""


class MediaError(FaceswapError):
    """A media file is missing, empty, corrupt or of an unsupported kind."""


class ConfigError(FaceswapError):
    """A setting is unknown, of the wrong type, or out of range."""
