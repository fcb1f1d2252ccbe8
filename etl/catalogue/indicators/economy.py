"""Economy: GDP, gross value added and employment of the Kreise (VGR der Länder,
Reihe 2 Band 1, edition 2018), one indicator per series sheet of the workbook.

Every value is as published (current prices, ESVG 2010, WZ 2008); nothing here is
derived. GDP per inhabitant is published by the Arbeitskreis and kept as such.
"""

from __future__ import annotations

from etl.catalogue.model import Indicator

_SOURCE = ("vgrdl_kreise",)
_LEVELS = ("bund", "land", "rbz", "kreis")

_COMMON_DE = (
    "Revision 2014 (ESVG 2010, WZ 2008), Berechnungsstand des Statistischen Bundesamtes August 2017; Ausgabe 2018. Für 1993 gibt es keine Kreisergebnisse.",
    "Wartburgkreis bis 1995 einschließlich der kreisfreien Stadt Eisenach (Fußnote der Veröffentlichung); für Eisenach gibt es bis 1995 keine Werte.",
    "Berlin und Hamburg sind Land und Kreis zugleich: die Kreiswerte (11000, 02000) sind die Landeswerte.",
    "Kreiswerte beginnen nicht überall 1992: je nach Land und Reihe erst 1996 oder 2000 (z. B. Niedersachsen und Mecklenburg-Vorpommern ab 2000); fehlende Jahre tragen das Zeichen „.“ oder „…“.",
)
_COMMON_EN = (
    "Revision 2014 (ESA 2010, WZ 2008), computed by the Federal Statistical Office as of August 2017; 2018 edition. There are no district results for 1993.",
    "Wartburgkreis includes the city of Eisenach up to 1995 (publisher's footnote); Eisenach has no values up to 1995.",
    "Berlin and Hamburg are both a Land and a district: their district values (11000, 02000) are the Land values.",
    "District values do not all start in 1992: depending on the Land and the series they start in 1996 or 2000 (e.g. Niedersachsen and Mecklenburg-Vorpommern from 2000); missing years carry the marker '.' or '…'.",
)
_EMPLOYMENT_DE = (
    "Auf eine Nachkommastelle gerundet: der Arbeitskreis Erwerbstätigenrechnung gibt Erwerbstätige (in 1000) und Arbeitsstunden (in Mio.) nur mit einer Nachkommastelle zur Veröffentlichung frei (Impressum der Datei). Summen über Kreise können daher vom Landeswert abweichen.",
)
_EMPLOYMENT_EN = (
    "Rounded to one decimal: the working group on employment accounts releases employment (in 1,000) and hours worked (in million) for publication with one decimal only (imprint of the workbook). Sums over districts may therefore differ from the Land value.",
)

# WZ 2008 sections as grouped in the workbook (sheet "WZ08").
SECTORS: dict[str, tuple[str, str, str]] = {
    # code: (id suffix, German, English)
    "A": ("a", "Land- und Forstwirtschaft, Fischerei", "agriculture, forestry and fishing"),
    "B-F": ("b_f", "Produzierendes Gewerbe", "industry including construction"),
    "B-E": ("b_e", "Produzierendes Gewerbe ohne Baugewerbe", "industry excluding construction"),
    "C": ("c", "Verarbeitendes Gewerbe", "manufacturing"),
    "F": ("f", "Baugewerbe", "construction"),
    "G-T": ("g_t", "Dienstleistungsbereiche", "services"),
    "G-J": ("g_j", "Handel, Verkehr und Lagerei, Gastgewerbe, Information und Kommunikation", "trade, transport and storage, accommodation and food services, information and communication"),
    "K-N": ("k_n", "Finanz-, Versicherungs- und Unternehmensdienstleister; Grundstücks- und Wohnungswesen", "financial, insurance and business services; real estate"),
    "O-T": ("o_t", "Öffentliche und sonstige Dienstleister, Erziehung und Gesundheit, Private Haushalte mit Hauspersonal", "public and other services, education and health, private households with domestic staff"),
}


def _indicator(id, title_de, title_en, unit, definition_de, definition_en, better, aggregation, decimals, employment=False):
    return Indicator(
        id=id,
        title_de=title_de,
        title_en=title_en,
        unit=unit,
        definition_de=definition_de,
        definition_en=definition_en,
        source_ids=_SOURCE,
        topic="economy",
        better=better,
        aggregation=aggregation,
        levels=_LEVELS,
        caveats_de=_COMMON_DE + (_EMPLOYMENT_DE if employment else ()),
        caveats_en=_COMMON_EN + (_EMPLOYMENT_EN if employment else ()),
        decimals=decimals,
    )


def _gva_sector(code: str) -> Indicator:
    suffix, de, en = SECTORS[code]
    return _indicator(
        f"gva_{suffix}_mio_eur",
        f"Bruttowertschöpfung: {de} (WZ {code})",
        f"Gross value added: {en} (NACE {code})",
        "Mio. EUR",
        f"Bruttowertschöpfung des Wirtschaftsbereichs {de} (WZ 2008 {code}) in jeweiligen Preisen, Inlandskonzept (am Ort der Produktion).",
        f"Gross value added of the sector {en} (WZ 2008 {code}) at current prices, domestic concept (where it is produced).",
        "neutral",
        "sum",
        1,
    )


def _employed_sector(code: str) -> Indicator:
    suffix, de, en = SECTORS[code]
    return _indicator(
        f"employed_{suffix}_thousand",
        f"Erwerbstätige: {de} (WZ {code})",
        f"Persons in employment: {en} (NACE {code})",
        "1000 Personen",
        f"Erwerbstätige am Arbeitsort im Wirtschaftsbereich {de} (WZ 2008 {code}), Jahresdurchschnitt, in 1000.",
        f"Persons in employment at their place of work in the sector {en} (WZ 2008 {code}), annual average, in thousands.",
        "neutral",
        "sum",
        1,
        employment=True,
    )


INDICATORS: tuple[Indicator, ...] = (
    _indicator(
        "gdp_mio_eur",
        "Bruttoinlandsprodukt",
        "Gross domestic product",
        "Mio. EUR",
        "Wert aller im Gebiet während des Jahres produzierten Waren und Dienstleistungen (Bruttowertschöpfung aller Wirtschaftsbereiche zuzüglich Gütersteuern, abzüglich Gütersubventionen), in jeweiligen Preisen.",
        "Value of all goods and services produced in the area during the year (gross value added of all sectors plus taxes on products, less subsidies on products), at current prices.",
        "higher",
        "sum",
        1,
    ),
    _indicator(
        "gdp_change_pct",
        "Bruttoinlandsprodukt: Veränderung gegenüber dem Vorjahr",
        "Gross domestic product: change on the previous year",
        "% ggü. Vorjahr",
        "Veränderung des Bruttoinlandsprodukts in jeweiligen Preisen gegenüber dem jeweils ausgewiesenen Vorjahr, in Prozent (nominal, nicht preisbereinigt).",
        "Change of gross domestic product at current prices on the previous year shown, in percent (nominal, not price-adjusted).",
        "higher",
        "none",
        1,
    ),
    _indicator(
        "gdp_share_of_land_pct",
        "Bruttoinlandsprodukt: Anteil am Land",
        "Gross domestic product: share of the Land",
        "%",
        "Anteil des Bruttoinlandsprodukts der Region am Bruttoinlandsprodukt ihres Landes (Länder: 100 %; Deutschland: nicht sinnvoll).",
        "Share of the region's gross domestic product in that of its Land (Länder: 100 %; Germany: not meaningful).",
        "neutral",
        "none",
        2,
    ),
    _indicator(
        "gva_mio_eur",
        "Bruttowertschöpfung insgesamt",
        "Gross value added, total",
        "Mio. EUR",
        "Bruttowertschöpfung aller Wirtschaftsbereiche (Produktionswert abzüglich Vorleistungen) in jeweiligen Preisen, Inlandskonzept.",
        "Gross value added of all sectors (output less intermediate consumption) at current prices, domestic concept.",
        "higher",
        "sum",
        1,
    ),
    *(_gva_sector(code) for code in SECTORS),
    _indicator(
        "employed_thousand",
        "Erwerbstätige insgesamt",
        "Persons in employment, total",
        "1000 Personen",
        "Erwerbstätige am Arbeitsort (Inlandskonzept): Arbeitnehmer, Selbstständige und mithelfende Familienangehörige, Jahresdurchschnitt, in 1000.",
        "Persons in employment at their place of work (domestic concept): employees, self-employed and family workers, annual average, in thousands.",
        "higher",
        "sum",
        1,
        employment=True,
    ),
    *(_employed_sector(code) for code in SECTORS),
    _indicator(
        "gdp_per_employed_eur",
        "Bruttoinlandsprodukt je Erwerbstätigen",
        "Gross domestic product per person in employment",
        "EUR",
        "Bruttoinlandsprodukt in jeweiligen Preisen je Erwerbstätigen am Arbeitsort (nominale Arbeitsproduktivität).",
        "Gross domestic product at current prices per person in employment at the place of work (nominal labour productivity).",
        "higher",
        "none",
        0,
    ),
    _indicator(
        "inhabitants_thousand",
        "Einwohner (Jahresdurchschnitt, VGR)",
        "Inhabitants (annual average, regional accounts)",
        "1000 Personen",
        "Einwohner mit ständigem Wohnsitz im Gebiet als Jahresdurchschnitt, wie ihn die Volkswirtschaftlichen Gesamtrechnungen der Länder für Pro-Kopf-Werte verwenden, in 1000.",
        "Inhabitants with permanent residence in the area as an annual average, as used by the regional accounts for per-capita figures, in thousands.",
        "neutral",
        "sum",
        1,
    ),
    _indicator(
        "gdp_per_inhabitant_eur",
        "Bruttoinlandsprodukt je Einwohner",
        "Gross domestic product per inhabitant",
        "EUR",
        "Bruttoinlandsprodukt in jeweiligen Preisen je Einwohner (Jahresdurchschnitt), wie vom Arbeitskreis veröffentlicht. Pendler erhöhen den Wert in Zentren und senken ihn im Umland.",
        "Gross domestic product at current prices per inhabitant (annual average), as published by the working group. Commuters raise it in centres and lower it in the surrounding districts.",
        "higher",
        # A population-weighted mean reproduces sum(GDP) / sum(inhabitants) when weighted by the same inhabitants.
        "mean_population",
        0,
    ),
    _indicator(
        "working_hours_mio",
        "Arbeitsvolumen der Erwerbstätigen (Standard-Arbeitsvolumen)",
        "Hours worked by persons in employment (standard volume of work)",
        "Mio. Arbeitsstunden",
        "Standard-Arbeitsvolumen der Erwerbstätigen am Arbeitsort in Millionen Stunden: mangels Kreisdaten zur Arbeitszeit mit Standardannahmen geschätzt, erst ab 2000.",
        "Standard volume of work of persons in employment at their place of work, in million hours: estimated with standard assumptions for lack of district data on working time, from 2000 only.",
        "neutral",
        "sum",
        1,
        employment=True,
    ),
    _indicator(
        "gdp_per_hour_eur",
        "Bruttoinlandsprodukt je Arbeitsstunde",
        "Gross domestic product per hour worked",
        "EUR",
        "Bruttoinlandsprodukt in jeweiligen Preisen je Arbeitsstunde der Erwerbstätigen (Standard-Arbeitsvolumen), ab 2000.",
        "Gross domestic product at current prices per hour worked by persons in employment (standard volume of work), from 2000.",
        "higher",
        "none",
        2,
    ),
)
