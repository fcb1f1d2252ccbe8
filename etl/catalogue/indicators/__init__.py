"""All indicator declarations, one module per topic in this package.

Each module defines ``INDICATORS``, a tuple of ``Indicator``; this package
collects them in module order. Ids must be unique across modules.

The level ``verband`` (Gemeindeverband) is not declared by the modules: no kit
source publishes it, every value is aggregated from the Gemeinden
(``etl.aggregate.verband_values``). So an indicator has that level exactly when
it has Gemeinde values and an aggregation rule other than ``none``.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

from etl.catalogue.model import LEVELS, Indicator


def with_verband(indicator: Indicator) -> Indicator:
    """The indicator with the level ``verband`` where its Gemeinde values aggregate."""
    if "gemeinde" not in indicator.levels or indicator.aggregation == "none" or "verband" in indicator.levels:
        return indicator
    levels = tuple(lv for lv in LEVELS if lv in indicator.levels or lv == "verband")
    return dataclasses.replace(indicator, levels=levels)


def _collect() -> dict[str, Indicator]:
    found: dict[str, Indicator] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for indicator in getattr(module, "INDICATORS", ()):
            if indicator.id in found:
                raise ValueError(f"indicator id {indicator.id!r} declared twice (again in {info.name})")
            found[indicator.id] = with_verband(indicator)
    return found


INDICATORS_BY_ID: dict[str, Indicator] = _collect()
INDICATORS: tuple[Indicator, ...] = tuple(INDICATORS_BY_ID.values())
