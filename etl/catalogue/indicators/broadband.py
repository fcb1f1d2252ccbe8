"""Broadband indicators of the Breitbandatlas (source ``bnetza_breitbandatlas``).

Ids are built from four parts, ``bb_<segment>_<technology>_<speed>``:

- segment: ``hh`` households (``privat``), ``biz`` business sites (``gew``),
  ``bizpark`` business sites in commercial zones (``gewerbe_gwg``), ``school``
  schools (only in ``2021_BBA_Kreisdaten.xls``);
- technology: ``all`` (publisher's code 300, "alle Technologien"), ``wired``
  (100, "leitungsgebundene Technologien"), ``wireless`` (200, "drahtlose" or
  "mobile Technologien");
- speed: the minimum download rate in Mbit/s of the class (≥ 1 … ≥ 1000).

Plus ``bb_hh_dsl`` (DSL availability 2005–2008, no speed class, not comparable)
and ``bb_mob_<technology>_<area>`` for the mobile coverage by area type (mid-2021).
Which speed classes exist at which level was read off the kit (every class
declared here has observations; ``tests/test_broadband.py`` checks both ways).
"""

from __future__ import annotations

from etl.catalogue.model import Indicator, SeriesBreak

SOURCE = ("bnetza_breitbandatlas",)
ALL_LEVELS = ("bund", "land", "kreis", "gemeinde")
NO_GEMEINDE = ("bund", "land", "kreis")

SEGMENTS = {
    # segment: (German noun, English noun, aggregation)
    "hh": ("Haushalte", "households", "mean_households"),
    # No counts of business sites or schools are published: no weights to aggregate with.
    "biz": ("Gewerbestandorte", "business sites", "none"),
    "bizpark": ("Gewerbestandorte in Gewerbegebieten", "business sites in commercial zones", "none"),
    "school": ("Schulen", "schools", "none"),
}
TECHNOLOGIES = {
    "all": ("alle Technologien", "all technologies"),
    "wired": ("leitungsgebundene Technologien", "wired technologies"),
    "wireless": ("drahtlose Technologien", "wireless technologies"),
}

# (segment, technology) → {speed: levels with data}, as found in the kit.
_SPEEDS_ALL = (1, 2, 6, 8, 10, 16, 30, 50, 100, 200, 400, 1000)
SPEED_LEVELS: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {
    ("hh", "all"): {s: ALL_LEVELS for s in _SPEEDS_ALL},
    ("hh", "wired"): {s: ALL_LEVELS for s in _SPEEDS_ALL},
    ("hh", "wireless"): {
        **{s: ALL_LEVELS for s in (1, 2, 6, 16, 30, 50)},
        **{s: NO_GEMEINDE for s in (10, 100, 200, 400, 1000)},
    },
    ("biz", "wired"): {s: ALL_LEVELS for s in _SPEEDS_ALL},
    ("bizpark", "wired"): {s: ALL_LEVELS for s in _SPEEDS_ALL},
    ("school", "all"): {s: ("kreis",) for s in (10, 16, 30, 50, 100, 200, 400, 1000)},
}

# Speed classes of the annual 2010–2018 workbook (verf_privat_alle_2010_2018.xls).
ANNUAL_SPEEDS = (2, 16, 50)

MOBILE_TECHNOLOGIES = {
    # publisher's "Technologie" → (id part, German, English)
    "Mobil Alle": ("all", "Mobilfunk, alle Technologien", "mobile, all technologies"),
    "LTE2": ("lte2", "LTE ≥ 2 Mbit/s", "LTE ≥ 2 Mbit/s"),
    "LTE6": ("lte6", "LTE ≥ 6 Mbit/s", "LTE ≥ 6 Mbit/s"),
    "LTE10": ("lte10", "LTE ≥ 10 Mbit/s", "LTE ≥ 10 Mbit/s"),
    "5G2": ("5g2", "5G ≥ 2 Mbit/s", "5G ≥ 2 Mbit/s"),
}
MOBILE_AREAS = {
    # publisher's "Flaechenart" → (id part, German, English)
    "Autobahn": ("autobahn", "Autobahnen", "motorways"),
    "Bundesstraßen": ("federal_road", "Bundesstraßen", "federal roads"),
    "Landstraßen": ("state_road", "Landstraßen", "state roads"),
    "Kreisstraßen": ("district_road", "Kreisstraßen", "district roads"),
    "Bahnstrecken": ("rail", "Bahnstrecken", "railway lines"),
    "Wasserstraßen": ("waterway", "Wasserstraßen", "waterways"),
    "Wohnbaufläche": ("residential", "Wohnbauflächen", "residential areas"),
    "Gewerbliche Nutzfläche": ("commercial", "gewerblich genutzte Flächen", "commercial areas"),
    "Landwirtschaftliche Flächen": ("agricultural", "landwirtschaftliche Flächen", "agricultural land"),
    "Wald-, Wiesenflächen": ("forest_meadow", "Wald- und Wiesenflächen", "forest and meadow"),
    "Gewässer": ("water", "Gewässer", "water bodies"),
}


def speed_indicator_id(segment: str, technology: str, speed: int) -> str:
    return f"bb_{segment}_{technology}_{speed}"


def mobile_indicator_id(technology: str, area: str) -> str:
    """Id for the publisher's ``Technologie`` and ``Flaechenart``."""
    return f"bb_mob_{MOBILE_TECHNOLOGIES[technology][0]}_{MOBILE_AREAS[area][0]}"


DSL_ID = "bb_hh_dsl"

_NOT_REPORTED_DE = (
    "2010–2014 (Jahresdatei verf_privat_alle_2010_2018.xls, Kreise und Gemeinden): Einheiten, die in einem Jahr "
    "in jeder veröffentlichten Bandbreitenklasse (≥ 2, ≥ 16, ≥ 50 Mbit/s) genau 0 % zeigen, gelten für dieses Jahr als "
    "„nicht berichtet“ (leerer Wert, Kennzeichen not_reported). Gemessen: je Jahr 243 von 401 Kreisen und 6 577–6 720 von "
    "11 127 Gemeinden, ganz Baden-Württemberg bis Thüringen (Länder 08–16) und ein Teil von Rheinland-Pfalz, während "
    "Bund und Länder ≥ 2 Mbit/s für 95–100 % der Haushalte melden. Nullen in Einheiten mit Werten > 0 in anderen "
    "Klassen bleiben Werte: in Schleswig-Holstein, Niedersachsen, Nordrhein-Westfalen und Hessen stimmt der "
    "einwohnergewichtete Mittelwert der Gemeinden auf 1–3 Punkte mit dem Landeswert überein."
)
_NOT_REPORTED_EN = (
    "2010–2014 (annual workbook verf_privat_alle_2010_2018.xls, districts and municipalities): units showing exactly 0 % "
    "in every published speed class of a year (≥ 2, ≥ 16, ≥ 50 Mbit/s) are treated as 'not reported' for that year "
    "(empty value, flag not_reported). Measured per year: 243 of 401 districts and 6,577–6,720 of 11,127 municipalities, all of "
    "Baden-Württemberg to Thuringia (Länder 08–16) and part of Rhineland-Palatinate, while Germany and the Länder report "
    "≥ 2 Mbit/s for 95–100 % of households. Zeros in units with values > 0 in other classes remain values: in "
    "Schleswig-Holstein, Lower Saxony, North Rhine-Westphalia and Hesse the population-weighted mean of the "
    "municipalities agrees with the Land value within 1–3 points."
)
_ANNUAL_DE = (
    "2010–2017: Jahreswerte zum Jahresende (31.12.) aus der Jahresdatei; gemessen für 2018: Die Kreiswerte der Jahresdatei "
    "stimmen auf ±0,5 Punkte mit Ende 2018 (landkreis_privat_2018_2.csv) überein, nicht mit Mitte 2018. Ab 2018 Halbjahreswerte."
)
_ANNUAL_EN = (
    "2010–2017: annual values at year end (31 Dec) from the annual workbook; measured for 2018: its district values agree "
    "within ±0.5 points with end 2018 (landkreis_privat_2018_2.csv), not with mid-2018. Half-yearly values from 2018."
)
_BREAK_2015 = SeriesBreak(
    "2015-12-31",
    "Methoden- und Betreiberwechsel des Breitbandatlas um 2015 (Hinweis des Herausgebers): Der Bundeswert ≥ 50 Mbit/s "
    "sinkt von 71,4 % (2014) auf 70,1 % (2015) trotz Ausbau; ab 2015 liegen Werte für alle Kreise und Gemeinden vor.",
    "Change of method and operator of the Breitbandatlas around 2015 (publisher's note): the national ≥ 50 Mbit/s value "
    "falls from 71.4 % (2014) to 70.1 % (2015) despite roll-out; from 2015 all districts and municipalities have values.",
)
_BREAK_DSL = SeriesBreak(
    "2010-12-31",
    "Beginn der Reihe nach Bandbreitenklassen; die DSL-Reihe 2005–2008 (bb_hh_dsl) ist damit nicht vergleichbar (Hinweis des Herausgebers).",
    "Start of the series by speed class; the 2005–2008 DSL series (bb_hh_dsl) is not comparable with it (publisher's note).",
)
_COMMON_DE = (
    "Verfügbarkeit (ein Anschluss könnte gebucht werden), nicht Nutzung; beruht auf freiwilligen Datenlieferungen der Netzbetreiber.",
    "Werte wie veröffentlicht für die Einheit im Gebietsstand der jeweiligen Datei. Kreise, die es am 01.01.2021 nicht mehr gibt (z. B. Göttingen und Osterode am Harz bis 2021), sind auf den Gebietsstand 2021-01-01 umgerechnet (Kennzeichen „umgerechnet“, bevölkerungsgewichtet, nur wenn alle Vorgängerkreise einen Wert haben); ebenso Gemeindefusionen, wo die Zentren der früheren Gemeinden bekannt sind und alle Teile einen Wert haben; die übrigen Zeilen früherer Gemeinden stehen mit Grund in der Quarantäne.",
)
_COMMON_EN = (
    "Availability (a connection could be ordered), not take-up; based on voluntary data deliveries by network operators.",
    "Values as published for the unit in each file's territorial status. Districts that no longer exist on 2021-01-01 (e.g. Göttingen and Osterode am Harz, up to 2021) are converted to the territorial status of 2021-01-01 (flag 'harmonised', population-weighted, only where every predecessor has a value); so are municipal mergers where the former municipalities' centres are known and every part has a value; the other rows of former municipalities are in the quarantine with their reason.",
)


def _speed_indicator(segment: str, technology: str, speed: int, levels: tuple[str, ...]) -> Indicator:
    seg_de, seg_en, aggregation = SEGMENTS[segment]
    tech_de, tech_en = TECHNOLOGIES[technology]
    caveats_de = list(_COMMON_DE)
    caveats_en = list(_COMMON_EN)
    breaks: tuple[SeriesBreak, ...] = ()
    if segment == "hh" and technology == "all" and speed in ANNUAL_SPEEDS:
        caveats_de += [_ANNUAL_DE, _NOT_REPORTED_DE]
        caveats_en += [_ANNUAL_EN, _NOT_REPORTED_EN]
        breaks = (_BREAK_DSL, _BREAK_2015)
    if technology == "wireless":
        caveats_de.append("Drahtlos: LTE, UMTS, WLAN/WiMAX u. a. (Code 200; in den Gemeindedateien „mobile Technologien“).")
        caveats_en.append("Wireless: LTE, UMTS, WLAN/WiMAX etc. (code 200; 'mobile Technologien' in the municipal files).")
    if segment == "school":
        caveats_de.append("Nur in 2021_BBA_Kreisdaten.xls; gemessen Stand Mitte 2021 (alle übrigen Spalten der Datei gleichen Mitte 2021 auf ±0,5 Punkte).")
        caveats_en.append("Only in 2021_BBA_Kreisdaten.xls; measured as mid-2021 (all its other columns equal mid-2021 within ±0.5 points).")
    if segment == "bizpark":
        caveats_de.append("Nur Gemeinden mit Gewerbegebieten haben Werte.")
        caveats_en.append("Only municipalities with commercial zones have values.")
    return Indicator(
        id=speed_indicator_id(segment, technology, speed),
        title_de=f"Breitband {seg_de}, {tech_de}, ≥ {speed} Mbit/s",
        title_en=f"Broadband, {seg_en}, {tech_en}, ≥ {speed} Mbit/s",
        unit="%",
        definition_de=(
            f"Anteil der {seg_de} in der Region, für die Breitband über {tech_de} mit mindestens {speed} Mbit/s "
            "im Download verfügbar ist."
        ),
        definition_en=(
            f"Share of {seg_en} in the region with broadband of at least {speed} Mbit/s download available "
            f"over {tech_en}."
        ),
        source_ids=SOURCE,
        topic="broadband",
        better="higher",
        aggregation=aggregation,
        levels=levels,
        breaks=breaks,
        caveats_de=tuple(caveats_de),
        caveats_en=tuple(caveats_en),
    )


def _mobile_indicator(technology: str, area: str) -> Indicator:
    _, tech_de, tech_en = MOBILE_TECHNOLOGIES[technology]
    _, area_de, area_en = MOBILE_AREAS[area]
    return Indicator(
        id=mobile_indicator_id(technology, area),
        title_de=f"Mobilfunkabdeckung {area_de}, {tech_de}",
        title_en=f"Mobile coverage of {area_en}, {tech_en}",
        unit="%",
        definition_de=f"Anteil der Fläche der Flächenart „{area}“ in der Region, die mit {tech_de} versorgt ist (Technologie „{technology}“ des Breitbandatlas).",
        definition_en=f"Share of the area of type '{area}' in the region covered by {tech_en} (Breitbandatlas technology '{technology}').",
        source_ids=SOURCE,
        topic="broadband",
        better="higher",
        aggregation="none",  # area shares: the areas of each type are not published
        levels=NO_GEMEINDE,
        caveats_de=("Nur Stand Mitte 2021 (mobilfunk_stats_2021_1); Kreise ohne diese Flächenart (z. B. ohne Autobahn) haben keinen Wert.",),
        caveats_en=("Mid-2021 only (mobilfunk_stats_2021_1); districts without this area type (e.g. no motorway) have no value.",),
    )


_DSL = Indicator(
    id=DSL_ID,
    title_de="DSL-Verfügbarkeit Haushalte (2005–2008)",
    title_en="DSL availability, households (2005–2008)",
    unit="%",
    definition_de="Anteil der Haushalte in der Region, für die ein DSL-Anschluss verfügbar ist, ohne Bandbreitenklasse (Spalte verf_dsl).",
    definition_en="Share of households in the region with a DSL connection available, without a speed class (column verf_dsl).",
    source_ids=SOURCE,
    topic="broadband",
    better="higher",
    aggregation="mean_households",
    levels=ALL_LEVELS,
    caveats_de=(
        "Eigene Reihe: nicht vergleichbar mit den Bandbreitenklassen ab 2010 (anderer Betreiber, andere Methode; Hinweis des Herausgebers).",
        "Die Dateien nennen nur das Jahr; datiert auf den 31.12. wie die späteren Jahreswerte (die für 2018 nachweislich Jahresendstände sind).",
        "Gebietsstand 2005–2008: Kreise, die es am 01.01.2021 nicht mehr gibt, sind auf den Gebietsstand 2021-01-01 umgerechnet (Kennzeichen „umgerechnet“), wo alle Vorgängerkreise einen Wert haben; Gemeinden, die es nicht mehr gibt, stehen in der Quarantäne, ebenso Zellen, die als Datum statt als Zahl gespeichert sind (z. B. „01,09,1978“), und Werte über 100 %.",
    ),
    caveats_en=(
        "A series of its own: not comparable with the speed classes from 2010 (other operator and method; publisher's note).",
        "The files give only the year; dated 31 Dec like the later annual values (which for 2018 demonstrably are year-end figures).",
        "Territorial status 2005–2008: districts that no longer exist on 2021-01-01 are converted to the territorial status of 2021-01-01 (flag 'harmonised') where every predecessor has a value; municipalities that no longer exist are in the quarantine, as are cells stored as a date instead of a number (e.g. '01,09,1978') and values above 100 %.",
    ),
)

INDICATORS: tuple[Indicator, ...] = (
    *(
        _speed_indicator(segment, technology, speed, levels)
        for (segment, technology), speeds in SPEED_LEVELS.items()
        for speed, levels in sorted(speeds.items())
    ),
    _DSL,
    *(_mobile_indicator(t, a) for t in MOBILE_TECHNOLOGIES for a in MOBILE_AREAS),
)
