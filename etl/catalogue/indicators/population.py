"""Population and area: population (total, male, female), area and population
density of Germany, the Länder, Kreise and Gemeinden (Destatis; for 2005–2008
the population basis ``ewz`` of the Breitbandatlas). See
``etl.transform.population`` for how each file is read."""

from __future__ import annotations

from etl.catalogue.model import Indicator, SeriesBreak

_DESTATIS = ("destatis_genesis_12411", "destatis_gv_kreise", "destatis_gv_gemeinden")
_GV = ("destatis_gv_kreise", "destatis_gv_gemeinden")
_LEVELS = ("bund", "land", "kreis", "gemeinde")

CENSUS_2011 = SeriesBreak(
    date="2011-12-31",
    explanation_de="Ab 2011: Ergebnisse auf Grundlage des Zensus 2011 (Fußnote der GENESIS-Tabelle 12411-0015); bis 2010 Fortschreibung auf Basis früherer Zählungen.",
    explanation_en="From 2011: results based on the 2011 census (footnote of GENESIS table 12411-0015); up to 2010 updates based on earlier counts.",
)
METHOD_2016 = SeriesBreak(
    date="2016-12-31",
    explanation_de="Die Ergebnisse ab Berichtsjahr 2016 sind aufgrund methodischer Änderungen und technischer Weiterentwicklung nur bedingt mit den Vorjahreswerten vergleichbar (Fußnote 2 des Gemeindeverzeichnisses).",
    explanation_en="Results from reference year 2016 are only partly comparable with earlier years because of methodological and technical changes (footnote 2 of the Gemeindeverzeichnis).",
)

_POP_CAVEATS_DE = (
    "2005–2008: Einwohnerzahl (ewz) aus den DSL-Dateien des Breitbandatlas, die Bezugsgröße des Atlas, nicht die amtliche Fortschreibung; Stichtag in den Dateien nicht angegeben (hier Jahresende des Atlas-Jahres); Gebietsstand des Atlas: Kreise, die es 2021 nicht mehr gibt, sind auf den Gebietsstand 2021-01-01 umgerechnet (Summe der Vorgängerkreise, Kennzeichen „umgerechnet“), ältere Gemeindeschlüssel stehen in der Quarantäne.",
    "Kreis-, Landes- und Bundeswerte zum 31.12.2017 (und Summen für Männer und Frauen 2016) sind Summen der Gemeinden des Gemeindeverzeichnisses (Kennzeichen „abgeleitet“); Gemeindefreie Gebiete außerhalb der Kreise (Küstengewässer, deutsch-luxemburgisches Kondominium) sind nicht enthalten.",
    "31.12.2016: Für sechs Gemeinden in Nordrhein-Westfalen ist keine Bevölkerung angegeben (Zeichen „/“, Ergebnis unplausibel, Fußnote 4); deren Kreise, Nordrhein-Westfalen und Deutschland haben für 2016 keine Summe der Gemeinden.",
)
_POP_CAVEATS_EN = (
    "2005–2008: population (ewz) from the Breitbandatlas DSL files, the atlas' population basis, not the official update; the files give no reference date (here the end of the atlas year); territorial status of the atlas: districts that no longer exist in 2021 are converted to the status of 2021-01-01 (sum of the predecessors, flag 'harmonised'), older municipal keys are in the quarantine.",
    "District, Land and national values for 31 Dec 2017 (and male/female sums for 2016) are sums over the municipalities of the Gemeindeverzeichnis (flag 'derived'); unincorporated areas outside any district (coastal waters, the German–Luxembourg condominium) are not included.",
    "31 Dec 2016: six municipalities in North Rhine-Westphalia have no population (marker '/', implausible result, footnote 4); their districts, North Rhine-Westphalia and Germany have no 2016 sum of municipalities.",
)

_AREA_CAVEATS_DE = (
    "Wegen der Umstellung der Vermessungsverwaltung auf ALKIS ist die Fläche ab 2014 mit früheren Jahren nur eingeschränkt vergleichbar (Fußnote 1 des Gemeindeverzeichnisses).",
    "Landesflächen ohne die gemeindefreien Gebiete außerhalb der Kreise: Rheinland-Pfalz ohne das deutsch-luxemburgische Hoheitsgebiet (6,20 km²), Mecklenburg-Vorpommern ohne Küstengewässer (1,00 km²).",
    "Gemessen, ohne Erläuterung des Herausgebers: In der Kreistabelle zum 31.12.2018 sind die Flächen von sechs bayerischen Kreisen (09273, 09471, 09472, 09475, 09572, 09673) um 38–265 km² kleiner als die Summe ihrer Gemeinden und gemeindefreien Gebiete im Gemeindeverzeichnis zum 31.12.2017; für Deutschland um 744,52 km².",
)
_AREA_CAVEATS_EN = (
    "Because the survey administration switched to ALKIS, areas from 2014 are only partly comparable with earlier years (footnote 1 of the Gemeindeverzeichnis).",
    "Land areas exclude unincorporated areas outside any district: Rhineland-Palatinate without the German–Luxembourg condominium (6.20 km²), Mecklenburg-Western Pomerania without coastal waters (1.00 km²).",
    "Measured, not explained by the publisher: in the district table of 31 Dec 2018 the areas of six Bavarian districts (09273, 09471, 09472, 09475, 09572, 09673) are 38–265 km² smaller than the sum of their municipalities and unincorporated areas in the Gemeindeverzeichnis of 31 Dec 2017; for Germany by 744.52 km².",
)

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        id="population",
        title_de="Bevölkerung",
        title_en="Population",
        unit="Personen",
        definition_de="Bevölkerungsstand am 31.12. (Fortschreibung des Bevölkerungsstandes): Einwohnerinnen und Einwohner mit Hauptwohnsitz in der Region.",
        definition_en="Population on 31 December (official population update): inhabitants whose main residence is in the region.",
        source_ids=(*_DESTATIS, "bnetza_breitbandatlas"),
        topic="population",
        better="neutral",
        aggregation="sum",
        levels=_LEVELS,
        breaks=(CENSUS_2011, METHOD_2016),
        caveats_de=_POP_CAVEATS_DE,
        caveats_en=_POP_CAVEATS_EN,
        decimals=0,
    ),
    Indicator(
        id="population_male",
        title_de="Bevölkerung: männlich",
        title_en="Population: male",
        unit="Personen",
        definition_de="Männliche Bevölkerung am 31.12. (Fortschreibung des Bevölkerungsstandes).",
        definition_en="Male population on 31 December (official population update).",
        source_ids=_GV,
        topic="population",
        better="neutral",
        aggregation="sum",
        levels=_LEVELS,
        breaks=(METHOD_2016,),
        caveats_de=_POP_CAVEATS_DE[1:],
        caveats_en=_POP_CAVEATS_EN[1:],
        decimals=0,
    ),
    Indicator(
        id="population_female",
        title_de="Bevölkerung: weiblich",
        title_en="Population: female",
        unit="Personen",
        definition_de="Weibliche Bevölkerung am 31.12. (Fortschreibung des Bevölkerungsstandes).",
        definition_en="Female population on 31 December (official population update).",
        source_ids=_GV,
        topic="population",
        better="neutral",
        aggregation="sum",
        levels=_LEVELS,
        breaks=(METHOD_2016,),
        caveats_de=_POP_CAVEATS_DE[1:],
        caveats_en=_POP_CAVEATS_EN[1:],
        decimals=0,
    ),
    Indicator(
        id="area_km2",
        title_de="Fläche",
        title_en="Area",
        unit="km²",
        definition_de="Bodenfläche der Region in km² laut Gemeindeverzeichnis (Liegenschaftskataster), auf zwei Nachkommastellen gerundet.",
        definition_en="Land area of the region in km² according to the Gemeindeverzeichnis (cadastre), rounded to two decimals.",
        source_ids=_GV,
        topic="population",
        better="neutral",
        aggregation="sum",
        levels=_LEVELS,
        caveats_de=_AREA_CAVEATS_DE,
        caveats_en=_AREA_CAVEATS_EN,
        decimals=2,
    ),
    Indicator(
        id="population_density",
        title_de="Bevölkerungsdichte",
        title_en="Population density",
        unit="Einw./km²",
        definition_de="Einwohnerinnen und Einwohner je km² Fläche, wie im Gemeindeverzeichnis veröffentlicht (ganzzahlig gerundet).",
        definition_en="Inhabitants per km² of area, as published in the Gemeindeverzeichnis (rounded to whole numbers).",
        source_ids=_GV,
        topic="population",
        better="neutral",
        # A density of a larger unit is total population over total area, not a
        # mean of densities: recompute it from population and area_km2.
        aggregation="none",
        levels=_LEVELS,
        # Published where the files give it; rows flagged "derived" are computed.
        formula="population / area_km2 (only rows flagged 'derived': units and dates without a published density)",
        caveats_de=("Wo das Gemeindeverzeichnis keine Dichte angibt (Summen der Gemeinden 2016/2017), ist sie aus Bevölkerung und Fläche berechnet (Kennzeichen „abgeleitet“).",),
        caveats_en=("Where the Gemeindeverzeichnis gives no density (sums over municipalities 2016/2017), it is computed from population and area (flag 'derived').",),
        decimals=0,
    ),
)
