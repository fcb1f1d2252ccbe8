"""All indicator declarations, one module per topic in this package.

Each module defines ``INDICATORS``, a tuple of ``Indicator``; this package
collects them in module order. Ids must be unique across modules.
"""

from __future__ import annotations

import importlib
import pkgutil

from etl.catalogue.model import Indicator


def _collect() -> dict[str, Indicator]:
    found: dict[str, Indicator] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for indicator in getattr(module, "INDICATORS", ()):
            if indicator.id in found:
                raise ValueError(f"indicator id {indicator.id!r} declared twice (again in {info.name})")
            found[indicator.id] = indicator
    return found


INDICATORS_BY_ID: dict[str, Indicator] = _collect()
INDICATORS: tuple[Indicator, ...] = tuple(INDICATORS_BY_ID.values())
