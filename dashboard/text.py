"""Texts from the warehouse: reading a text cell that may be missing, and the
one rule for folding names before a tolerant search (``fold``, whose home is
the gazetteer: regions on every page, projects on Projekte)."""

from __future__ import annotations

from etl.gazetteer import fold

__all__ = ["cell_text", "fold"]


def cell_text(value: object) -> str:
    """A text cell from the warehouse, '' for a missing value (None, NaN, pd.NA)."""
    return value if isinstance(value, str) else ""
