"""Rows of hand-written fixture tables, shared by the unit tests."""

from __future__ import annotations


def region(rid, level, name, type_, land=None, kreis=None, population=None, pclass=None, nuts=None, verband=None) -> dict:
    """One row of the ``regions`` table (its ARS is its key)."""
    return {
        "region_id": rid, "level": level, "name": name, "type": type_, "land_id": land, "kreis_id": kreis,
        "verband_id": verband, "ars": rid, "nuts_id": nuts, "population": population, "population_class": pclass,
    }
