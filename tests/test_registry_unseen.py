"""Registries the resolver was never tuned on: written after the name engine
was finished, by someone who read only the template and its README, from
public directories of municipal digital projects (names of the towns, Kreise,
Verbandsgemeinden and labs as such directories write them), each row with the
region it means in the extra column ``expected_regions`` (ignored by the
importer), looked up by official name in the regions table, not with the
resolver.

- ``verbandsnetz_digital.csv`` (62 rows, no coordinates): honorific town names
  ("Wissenschaftsstadt Darmstadt", "Hanse- und Universitätsstadt Rostock"),
  abbreviations ("Lkr.", "LK", "VG", "a. d.", "i. Br.", "Halle/Saale"), Kreise
  with and without their word, Verbands- and Samtgemeinden, Ämter and a
  Verwaltungsgemeinschaft, Länder with their title, a Berlin Bezirksamt, umlauts
  typed as "ue", "deutschlandweit", several regions in one cell.
- ``reallabore.csv`` (28 rows, each with the point of the lab): namesakes
  decided by the point ("Neustadt", "Lichtenfels", "Rothenburg", "Landsberg"),
  parts of cities ("Dresden-Neustadt", "München-Schwabing").

The targets are the issue's: at least 85 % of located rows linked to the right
region, at most 1 % wrong, and a registry without coordinates loads at least
95 % of its rows. The measure is the one of ``test_registry_measure``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etl.extract.registries import read_csv_records
from etl.registry_import import import_registry
from test_registry_measure import regions_wh, shares  # noqa: F401  (regions_wh is a fixture)

UNSEEN = Path(__file__).parent / "data" / "registries" / "unseen"


@pytest.fixture(scope="module")
def unseen(regions_wh, tmp_path_factory) -> dict[str, dict[str, float]]:  # noqa: F811
    table = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DSR_REGISTRIES", str(tmp_path_factory.mktemp("unseen-store")))
        for file in sorted(UNSEEN.glob("*.csv")):
            result = import_registry(file, file.stem.replace("_", "-"), warehouse=regions_wh)
            table[file.name] = shares(result, read_csv_records(file, file.name))
            table[file.name]["messages"] = len(result.messages)
    print("\n" + pd.DataFrame(table).T.to_string())  # the measured shares, shown with pytest -s
    return table


def test_unseen_registries_link_the_right_regions(unseen):
    assert sorted(unseen) == ["reallabore.csv", "verbandsnetz_digital.csv"]
    for name, s in unseen.items():
        assert s["right"] >= 0.85, (name, s)
    assert sum(s["wrong"] for s in unseen.values()) <= 0.01 * sum(s["located"] for s in unseen.values()), unseen


def test_an_unseen_registry_without_coordinates_loads_almost_every_row(unseen):
    assert unseen["verbandsnetz_digital.csv"]["loaded"] >= 0.95, unseen["verbandsnetz_digital.csv"]
