"""The shapes of the catalogue's declarations: sources, indicators, tables, flags.

Everything the project says about its data is declared once with these classes;
the ETL validates against them, the tests check they are complete and the app
renders source lines, definitions and the Sources page from them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Aggregation = Literal["sum", "mean_population", "mean_households", "none"]
Direction = Literal["higher", "lower", "neutral"]
Level = Literal["bund", "land", "rbz", "kreis", "verband", "gemeinde"]
PeriodType = Literal["year", "half_year"]

# From the largest unit to the smallest. "verband" is the Gemeindeverband
# (Verbandsgemeinde, Samtgemeinde, Amt, Verwaltungsgemeinschaft …, VG5000 layer
# VWG): keyed by its 9-digit regional key (ARS digits 1–9), since it has no AGS;
# a Gemeinde that belongs to no Verband is a Verband of its own (see etl.regions).
LEVELS: tuple[str, ...] = ("bund", "land", "rbz", "kreis", "verband", "gemeinde")
KEY_LENGTH = {"land": 2, "rbz": 3, "kreis": 5, "verband": 9, "gemeinde": 8}
LEVEL_OF_KEY_LENGTH = {length: level for level, length in KEY_LENGTH.items()}
GERMANY_ID = "DG"  # GENESIS' code for Deutschland; the regions table uses it too.


@dataclass(frozen=True)
class RawFile:
    """One file of a source, relative to the raw-data directory.

    ``url`` is where the publisher serves it; ``member`` names the file inside a
    downloaded archive when the publisher ships a zip.
    """

    path: str
    url: str
    member: str | None = None


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    url: str
    licence: str
    licence_url: str
    attribution: str
    reference_date: str
    files: tuple[RawFile, ...]
    description_de: str
    description_en: str
    attribution_url: str = ""
    caveats_de: tuple[str, ...] = ()
    caveats_en: tuple[str, ...] = ()
    kind: Literal["indicators", "geometry", "registry", "attributes"] = "indicators"
    # Where the file states its own edition, read by the source's extract step
    # (e.g. "the 'Stand:' line above the header"); empty when the file does not
    # say, and the catalogue's ``reference_date`` is the edition.
    edition_from: str = ""
    # How ``title`` and ``attribution`` name the edition, as a format of the
    # date (e.g. "Stand {:%d.%m.%Y}"): rewritten for another edition.
    edition_label: str = ""

    def in_edition(self, edition: str) -> Source:
        """This source as of another edition (an ISO date read from its file):
        ``reference_date``, and the edition named in ``title`` and ``attribution``."""
        if edition == self.reference_date:
            return self
        title, attribution = self.title, self.attribution
        if self.edition_label:
            old = self.edition_label.format(dt.date.fromisoformat(self.reference_date))
            new = self.edition_label.format(dt.date.fromisoformat(edition))
            title, attribution = title.replace(old, new), attribution.replace(old, new)
        return dataclasses.replace(self, reference_date=edition, title=title, attribution=attribution)


@dataclass(frozen=True)
class SeriesBreak:
    date: str  # ISO date of the first period after the break
    explanation_de: str
    explanation_en: str


# Every unit as published (German) and in English, declared once: the English
# interface and its downloads show the second (a test checks every indicator's
# unit is here).
UNITS_EN = {
    "%": "%",
    "% ggü. Vorjahr": "% on the previous year",
    "1000 Personen": "1,000 persons",
    "Anzahl": "number",
    "EUR": "EUR",
    "Einw./km²": "inhabitants/km²",
    "Mio. Arbeitsstunden": "million hours worked",
    "Mio. EUR": "EUR million",
    "Personen": "persons",
    "je 1.000 Einwohner": "per 1,000 inhabitants",
    "je 10.000 Einwohner": "per 10,000 inhabitants",
    "km²": "km²",
}


@dataclass(frozen=True)
class Indicator:
    id: str
    title_de: str
    title_en: str
    unit: str  # publisher's unit, e.g. "%", "Personen", "EUR", "km²"
    definition_de: str
    definition_en: str
    source_ids: tuple[str, ...]
    topic: str  # a key of TOPICS
    better: Direction
    aggregation: Aggregation
    levels: tuple[str, ...]
    derived: bool = False
    formula: str = ""  # required when derived
    breaks: tuple[SeriesBreak, ...] = ()
    caveats_de: tuple[str, ...] = ()
    caveats_en: tuple[str, ...] = ()
    decimals: int = 1

    @property
    def unit_en(self) -> str:
        return UNITS_EN[self.unit]


@dataclass(frozen=True)
class Precedence:
    """Which file's copy of a figure is kept when several files give the same
    indicator, region and period (``etl.copies``, the one rule for copies).

    Applies to the rows of ``indicators`` whose files match ``files`` (shell
    patterns relative to the raw-data directory, ``*`` also crossing ``/``): the
    copy of the first matching pattern is kept, the others are recorded in
    ``duplicates`` with ``reason``. Copies of files of the same rank, or of a
    file no pattern names, have no precedence: identical ones collapse, differing
    ones go to the quarantine.
    """

    id: str
    indicators: tuple[str, ...]
    files: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Flag:
    code: str
    label_de: str
    label_en: str
    has_value: bool  # whether a row with this flag still carries a number


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pandas dtype name: "string", "Int64", "float64", "bool", "date32", "geometry", "datetime"
    description: str
    nullable: bool = True
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    geo: bool = False
    # Stored as one Parquet file per build step (``<table>/<step>.parquet``):
    # a partial build rewrites only the parts of the steps it reruns.
    per_step: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


TOPICS: dict[str, tuple[str, str]] = {
    "broadband": ("Breitband", "Broadband"),
    "population": ("Bevölkerung & Fläche", "Population & area"),
    "economy": ("Wirtschaft", "Economy"),
    "internet": ("Internetnutzung", "Internet use"),
    "emobility": ("E-Mobilität", "E-mobility"),
}


@dataclass
class Catalogue:
    sources: dict[str, Source] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    flags: dict[str, Flag] = field(default_factory=dict)
