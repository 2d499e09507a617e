"""Name -> factory registries (timm style): a new entry is one file + one config, nothing else to edit.

The registered name is the only name of an entry: configs select it with `name:`, exports record it,
and `name_of` gives it back for an object's class. With `package`, every module of that package is
imported on first use, so an entry needs no import line anywhere.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Callable
from typing import Generic, TypeVar

from faceswap.utils.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of factories; `register` is used as a decorator."""

    def __init__(self, kind: str, package: str | None = None) -> None:
        self.kind = kind
        self.package = package
        self._loaded = package is None
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = obj
            return obj

        return decorator

    def _load(self) -> None:
        """Import every module of `package` once (each registers its entries on import)."""
        if self._loaded:
            return
        self._loaded = True
        package = importlib.import_module(str(self.package))
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{self.package}.{module.name}")

    def get(self, name: str) -> T:
        self._load()
        if name not in self._entries:
            raise ConfigError(
                f"unknown {self.kind} '{name}'",
                f"choose one of: {', '.join(sorted(self._entries))}",
            )
        return self._entries[name]

    def names(self, pattern: str = "*") -> list[str]:
        self._load()
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

    def name_of(self, obj: object) -> str | None:
        """The registered name of `obj` (an entry itself, or an instance of an entry class); None if unregistered."""
        self._load()
        for name, entry in self._entries.items():
            if entry is obj or (isinstance(entry, type) and type(obj) is entry):
                return name
        return None

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries
