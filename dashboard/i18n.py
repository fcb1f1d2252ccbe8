"""German and English labels. German first; English on request (``?lang=en``).

``t(key)`` returns the label in the current language; labels that carry data
(names, titles) are formatted by the caller and escaped where rendered as
Markdown (``md_escape``).
"""

from __future__ import annotations

import re

import streamlit as st

LANGS = ("de", "en")

LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("Digitale Städte und Regionen", "Digital Cities and Regions"),
    "app_subtitle": ("Daten zur digitalen Transformation in Kommunen", "Data on the digital transformation of municipalities"),
    "language": ("Sprache", "Language"),
    "page_map": ("Karte", "Map"),
    "page_profile": ("Steckbrief", "Region profile"),
    "page_compare": ("Vergleich", "Compare"),
    "page_trends": ("Trends", "Trends"),
    "page_sectors": ("Sektoren", "Sectors"),
    "page_projects": ("Projekte", "Projects"),
    "page_sources": ("Quellen & Methodik", "Sources & method"),
    "level": ("Ebene", "Level"),
    "level_bund": ("Deutschland", "Germany"),
    "level_land": ("Länder", "Länder"),
    "level_rbz": ("Regierungsbezirke", "Government regions"),
    "level_kreis": ("Kreise", "Districts"),
    "level_verband": ("Gemeindeverbände", "Municipal associations"),
    "level_gemeinde": ("Gemeinden", "Municipalities"),
    "level1_bund": ("Deutschland", "Germany"),
    "level1_land": ("Land", "Land"),
    "level1_rbz": ("Regierungsbezirk", "Government region"),
    "level1_kreis": ("Kreis", "District"),
    "level1_verband": ("Gemeindeverband", "Municipal association"),
    "level1_gemeinde": ("Gemeinde", "Municipality"),
    "topic": ("Thema", "Topic"),
    "indicator": ("Indikator", "Indicator"),
    "period": ("Zeitpunkt", "Period"),
    "classification": ("Klassifizierung", "Classification"),
    "cls_quantile": ("Quantile", "Quantiles"),
    "cls_equal": ("Gleiche Intervalle", "Equal intervals"),
    "cls_jenks": ("Natürliche Brüche (Jenks)", "Natural breaks (Jenks)"),
    "cls_manual": ("Eigene Grenzen", "Manual breaks"),
    "classes": ("Klassen", "Classes"),
    "manual_breaks": ("Grenzen (mit Semikolon getrennt)", "Breaks (separated by semicolons)"),
    "manual_breaks_help": ("z. B. 50; 75; 90", "e.g. 50; 75; 90"),
    "manual_breaks_invalid": ("Die eigenen Grenzen sind keine aufsteigenden Zahlen; es werden Quantile gezeigt.", "The manual breaks are not increasing numbers; showing quantiles."),
    "no_data": ("keine Daten", "no data"),
    "rank": ("Rang", "Rank"),
    "value": ("Wert", "Value"),
    "unit": ("Einheit", "Unit"),
    "name": ("Name", "Name"),
    "key": ("Schlüssel", "Key"),
    "type": ("Art", "Type"),
    "land": ("Land", "Land"),
    "flag": ("Kennzeichen", "Flag"),
    "source": ("Quelle", "Source"),
    "licence": ("Lizenz", "Licence"),
    "reference_date": ("Stand", "Reference date"),
    "data_table": ("Daten zur Karte", "Data behind the map"),
    "projects_on_map": ("Projekte auf der Karte", "Projects on the map"),
    "registry": ("Register", "Registry"),
    "sector": ("Sektor", "Sector"),
    "round": ("Staffel", "Round"),
    "category": ("Kategorie", "Category"),
    "permalink": ("Link zu dieser Ansicht", "Link to this view"),
    "download": ("Herunterladen", "Download"),
    "download_csv": ("Daten (CSV)", "Data (CSV)"),
    "download_xlsx": ("Daten (XLSX)", "Data (XLSX)"),
    "download_png": ("Bild (PNG)", "Image (PNG)"),
    "download_svg": ("Vektor (SVG)", "Vector (SVG)"),
    "download_pdf": ("Dokument (PDF)", "Document (PDF)"),
    "prepare_export": ("Export vorbereiten", "Prepare export"),
    "export_failed": ("Der Export ist fehlgeschlagen: {error}", "The export failed: {error}"),
    "empty_selection": ("Für diese Auswahl gibt es keine Daten. Bitte wählen Sie einen anderen Indikator, Zeitpunkt oder eine andere Ebene.", "There is no data for this selection. Please choose another indicator, period or level."),
    "no_warehouse": ("Es gibt noch kein Datenlager. Bitte bauen Sie es mit `python -m etl build` (oder starten Sie die App mit `bash scripts/app.sh`).", "There is no warehouse yet. Build it with `python -m etl build` (or start the app with `bash scripts/app.sh`)."),
    "not_reported_note": ("{n} Regionen ohne berichteten Wert („nicht berichtet“): sie erscheinen als „keine Daten“, nicht als 0 %.", "{n} regions without a reported value ('not reported'): shown as 'no data', not as 0 %."),
    "flagged_note": ("{n} Werte mit Kennzeichen: {flags}.", "{n} values carry a flag: {flags}."),
    "series_break": ("Bruch in der Reihe", "Series break"),
    "caveats": ("Hinweise", "Caveats"),
    "definition": ("Definition", "Definition"),
    "derived_formula": ("Abgeleitet: {formula}", "Derived: {formula}"),
    "search_region": ("Region suchen (Name oder Schlüssel)", "Search a region (name or key)"),
    "choose_region": ("Region", "Region"),
    "no_match": ("Keine Region passt zu „{q}“.", "No region matches '{q}'."),
    "germany": ("Deutschland", "Germany"),
    "url_corrected": ("Der Link enthielt Werte, die es hier nicht gibt:", "The link held values that do not exist here:"),
    "url_replaced": ("„{name}={given}“ ersetzt durch „{used}“", "'{name}={given}' replaced by '{used}'"),
    "url_dropped": ("„{name}={given}“ nicht übernommen", "'{name}={given}' left out"),
    "peer_median": ("Median der Vergleichsgruppe", "Peer median"),
    "peer_group": ("Vergleichsgruppe", "Peer group"),
    "peer_type": ("gleiche Art", "same type"),
    "peer_land": ("gleiches Land", "same Land"),
    "peer_size": ("gleiche Größenklasse (Einwohner)", "same size class (population)"),
    "peer_level": ("gleiche Ebene", "same level"),
    "peer_neighbours": ("Nachbarn", "neighbours"),
    "peer_none": ("keine: nur die gewählten Regionen", "none: the chosen regions only"),
    "regions": ("Regionen", "Regions"),
    "max_regions": ("Höchstens {n} Regionen.", "At most {n} regions."),
    "mode": ("Darstellung", "Mode"),
    "mode_absolute": ("absolut", "absolute"),
    "mode_index": ("indexiert (Basis = 100)", "indexed (base = 100)"),
    "mode_per_capita": ("je Einwohner", "per inhabitant"),
    "base_period": ("Basiszeitpunkt", "Base period"),
    "projects": ("Projekte", "Projects"),
    "funding_reported": ("berichtete Förderung", "reported funding"),
    "n_projects": ("Anzahl Projekte", "Number of projects"),
    "search": ("Suche", "Search"),
    "all": ("alle", "all"),
    "built": ("Datenstand: gebaut am {built}, Code {code}", "Data: built on {built}, code {code}"),
    "quarantine": ("Ausgesonderte Zeilen (Quarantäne)", "Rejected rows (quarantine)"),
    "manifest": ("Build-Protokoll", "Build manifest"),
    "indicators": ("Indikatoren", "Indicators"),
    "sources": ("Quellen", "Sources"),
    "link": ("Link", "Link"),
    "modified": ("Daten verändert", "data modified"),
}


def lang() -> str:
    value = st.session_state.get("lang", "de")
    return value if value in LANGS else "de"


def t(key: str, **kwargs) -> str:
    de, en = LABELS[key]
    text = en if lang() == "en" else de
    return text.format(**kwargs) if kwargs else text


def pick(de: str | None, en: str | None) -> str:
    """The German or English variant of a catalogue text."""
    if lang() == "en" and en:
        return en
    return de or en or ""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: object) -> str:
    """Escape text from data for Markdown (titles, names): no markup, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def fmt_number(value: float | None, decimals: int = 1) -> str:
    """A number the German or English way (1.234,5 or 1,234.5)."""
    if value is None or value != value:
        return t("no_data")
    text = f"{value:,.{decimals}f}"
    if lang() == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def register(labels: dict[str, tuple[str, str]]) -> None:
    """Add a page's own labels (German, English); a key may not be declared twice."""
    for key, pair in labels.items():
        if key in LABELS and LABELS[key] != pair:
            raise ValueError(f"label {key!r} declared twice with different texts")
        LABELS[key] = pair
