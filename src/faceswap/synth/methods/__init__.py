"""Manipulation methods for `faceswap generate`, one module per family, registered in `MANIPULATIONS`.

Every module of this package is imported here, so a new method is its file plus its config
(`configs/manipulation/<name>.yaml`); see `mesh_swap.py` for the commented template.
"""

import importlib
import pkgutil

from faceswap.synth.methods.base import (
    MANIPULATIONS,
    Context,
    Fake,
    Manipulation,
    MethodUnavailable,
    create_manipulation,
    register_manipulation,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "MANIPULATIONS",
    "Context",
    "Fake",
    "Manipulation",
    "MethodUnavailable",
    "create_manipulation",
    "register_manipulation",
]
