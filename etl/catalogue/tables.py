"""The warehouse tables: columns, types, primary keys, declared once.

Users script against these names. ``etl.schema`` turns them into pandera
schemas; ``etl.load`` applies them before anything is written; the Sources page
and ``docs`` render them.
"""

from __future__ import annotations

from etl.catalogue.model import LEVELS, Column, Table
from etl.catalogue.tables_projects import PROJECT_TABLES

C = Column

_PROVENANCE = (
    C("source_id", "string", "Source id of the catalogue.", nullable=False),
    C("source_file", "string", "Raw file the row comes from, relative to the raw-data directory.", nullable=False),
)

TABLES: tuple[Table, ...] = (
    Table(
        "regions",
        "Every administrative unit of Germany at the territorial status 2021-01-01 (BKG VG5000), with peer-group attributes.",
        (
            C("region_id", "string", "AGS, zero-padded: 2 digits Land, 3 Regierungsbezirk, 5 Kreis, 8 Gemeinde; 'DG' for Germany.", nullable=False),
            C("ars", "string", "12-digit regional key (ARS) as in VG5000, shortened like the AGS for higher levels."),
            C("level", "string", "bund, land, rbz, kreis or gemeinde.", nullable=False, allowed=LEVELS),
            C("name", "string", "Official name (GEN).", nullable=False),
            C("type", "string", "Type of unit (BEZ), e.g. Kreisfreie Stadt, Landkreis, Stadt, Gemeinde.", nullable=False),
            C("land_id", "string", "2-digit key of the Land."),
            C("rbz_id", "string", "3-digit key of the Regierungsbezirk, where the Land has them."),
            C("kreis_id", "string", "5-digit key of the Kreis."),
            C("nuts_id", "string", "NUTS code of the unit (NUTS 3 for Kreise and their Gemeinden)."),
            C("area_km2", "float64", "Area in km², computed from the VG5000 land geometry in an equal-area projection (EPSG:3035).", nullable=False),
            C("urban_rural_type", "Int64", "Eurostat urban–rural typology of the Kreis (1 predominantly urban, 2 intermediate, 3 predominantly rural), from GISCO NUTS 2024."),
            C("degurba", "Int64", "Degree of urbanisation of the Gemeinde (1 cities, 2 towns and suburbs, 3 rural areas), from the Gemeindeverzeichnis 2017."),
            C("population", "Int64", "Latest population in the warehouse for this region (see population_date)."),
            C("population_date", "date32", "Reference date of population."),
            C("peer_type", "string", "The kind of unit peers must share: 'Stadtstaat' or 'Flächenland' for Länder; for Kreise the BEZ harmonised across Länder (Stadtkreis → Kreisfreie Stadt, Kreis → Landkreis); the BEZ otherwise.", nullable=False),
            C("population_class", "string", "Size class of population, for peer groups: fixed breaks per level, lower bound included (Gemeinden < 5.000 … ≥ 500.000; Kreise < 100.000 … ≥ 500.000; Länder and Regierungsbezirke < 2 Mio. … ≥ 10 Mio.; none for Germany), see etl/transform/region_attributes.py."),
            C("lat", "float64", "Latitude of a point inside the region (EPSG:4326).", nullable=False),
            C("lon", "float64", "Longitude of a point inside the region (EPSG:4326).", nullable=False),
        ),
        ("region_id",),
    ),
    Table(
        "region_shapes",
        "Region geometry in EPSG:4326: 'full' as published, 'map' simplified as a coverage (shared borders simplified once, no gaps or overlaps).",
        (
            C("region_id", "string", "Key of regions.region_id.", nullable=False),
            C("level", "string", "Level of the region.", nullable=False, allowed=LEVELS),
            C("resolution", "string", "full or map.", nullable=False, allowed=("full", "map")),
            C("geometry", "geometry", "Polygon or MultiPolygon, EPSG:4326.", nullable=False),
        ),
        ("region_id", "resolution"),
        geo=True,
    ),
    Table(
        "region_neighbours",
        "Pairs of regions of the same level that share a border of positive length (both directions), from the 'map' shapes (a coverage, so neighbours meet exactly); regions touching in a single point are not neighbours.",
        (
            C("region_id", "string", "Key of regions.region_id.", nullable=False),
            C("neighbour_id", "string", "Key of the neighbouring region (same level).", nullable=False),
            C("level", "string", "Level of both regions.", nullable=False, allowed=LEVELS),
        ),
        ("region_id", "neighbour_id"),
    ),
    Table(
        "sources",
        "The catalogue's sources: publisher, licence, attribution and reference date.",
        (
            C("source_id", "string", "Id of the source.", nullable=False),
            C("kind", "string", "indicators, geometry, registry or attributes.", nullable=False),
            C("title", "string", "Title of the publication.", nullable=False),
            C("publisher", "string", "Publisher.", nullable=False),
            C("url", "string", "Where the publisher offers it.", nullable=False),
            C("licence", "string", "Licence.", nullable=False),
            C("licence_url", "string", "Licence text.", nullable=False),
            C("attribution", "string", "Exact attribution text to show wherever the data is shown.", nullable=False),
            C("attribution_url", "string", "Link for the attribution."),
            C("reference_date", "string", "Reference date or range (ISO): the edition of the files the build read.", nullable=False),
            C("reference_date_origin", "string", "Where reference_date comes from: the file's own statement (file, sheet, line and text) or the catalogue's default.", nullable=False),
            C("description_de", "string", "What it is, German.", nullable=False),
            C("description_en", "string", "What it is, English.", nullable=False),
            C("caveats_de", "string", "Caveats, German, one per line."),
            C("caveats_en", "string", "Caveats, English, one per line."),
            C("files", "string", "Raw files read, one per line."),
        ),
        ("source_id",),
    ),
    Table(
        "indicators",
        "Indicator definitions: titles, unit, definition, direction, aggregation rule, series breaks.",
        (
            C("indicator_id", "string", "Id of the indicator.", nullable=False),
            C("topic", "string", "Topic key.", nullable=False),
            C("title_de", "string", "Title, German.", nullable=False),
            C("title_en", "string", "Title, English.", nullable=False),
            C("unit", "string", "Unit as published.", nullable=False),
            C("definition_de", "string", "Definition, German.", nullable=False),
            C("definition_en", "string", "Definition, English.", nullable=False),
            C("better", "string", "Which direction is better: higher, lower or neutral.", nullable=False, allowed=("higher", "lower", "neutral")),
            C("aggregation", "string", "How it aggregates to a higher level.", nullable=False, allowed=("sum", "mean_population", "mean_households", "none")),
            C("levels", "string", "Levels with observations, comma-separated.", nullable=False),
            C("derived", "bool", "Computed by us from published values.", nullable=False),
            C("formula", "string", "Formula of a derived indicator."),
            C("source_ids", "string", "Sources, comma-separated.", nullable=False),
            C("breaks", "string", "Series breaks as JSON list of {date, explanation_de, explanation_en}."),
            C("caveats_de", "string", "Caveats, German, one per line."),
            C("caveats_en", "string", "Caveats, English, one per line."),
            C("decimals", "Int64", "Decimals to show.", nullable=False),
        ),
        ("indicator_id",),
    ),
    Table(
        "observations",
        "All indicator values in long form: one row per indicator, region and period.",
        (
            C("indicator_id", "string", "Key of indicators.", nullable=False),
            C("region_id", "string", "Key of regions.", nullable=False),
            C("period", "date32", "Reference date: the Stichtag, or the last day of the year or half-year.", nullable=False),
            C("period_type", "string", "Granularity: year or half_year.", nullable=False, allowed=("year", "half_year")),
            C("value", "float64", "Value in the indicator's unit; empty where a flag says why."),
            C("flag", "string", "Flag code (see flags), empty for a plain published value."),
            *_PROVENANCE,
        ),
        ("indicator_id", "region_id", "period"),
        per_step=True,
    ),
    Table(
        "flags",
        "What each flag code means.",
        (
            C("flag", "string", "Flag code.", nullable=False),
            C("label_de", "string", "Meaning, German.", nullable=False),
            C("label_en", "string", "Meaning, English.", nullable=False),
            C("has_value", "bool", "Whether a flagged row still carries a number.", nullable=False),
        ),
        ("flag",),
    ),
    Table(
        "quarantine",
        "Every rejected or unmatched input row, with where it came from and why.",
        (
            C("source_id", "string", "Source id.", nullable=False),
            C("file", "string", "Raw file, relative to the raw-data directory.", nullable=False),
            C("sheet", "string", "Sheet of a workbook, where there is one."),
            C("line", "Int64", "1-based line (CSV) or row (sheet) in the raw file."),
            C("column", "string", "Column name in the raw file."),
            C("value", "string", "Raw value as read."),
            C("reason", "string", "Why the row was left out.", nullable=False),
            C("target_table", "string", "The table the row was meant for.", nullable=False),
            C("step", "string", "The build step that left the row out.", nullable=False),
        ),
        (),
        per_step=True,
    ),
    Table(
        "duplicates",
        "Figures published twice (two files for one period): which file was kept and whether the copies agree.",
        (
            C("source_id", "string", "Source id.", nullable=False),
            C("kept_file", "string", "File whose values are in observations.", nullable=False),
            C("dropped_file", "string", "File with the same figures, not loaded.", nullable=False),
            C("indicator_id", "string", "Indicator, where the duplicate is per indicator."),
            C("period", "date32", "Period."),
            C("rows", "Int64", "Number of duplicated figures.", nullable=False),
            C("rows_differing", "Int64", "How many of them differ between the files.", nullable=False),
            C("note", "string", "What was compared."),
        ),
        (),
        per_step=True,
    ),
    Table(
        "charging_stations",
        "Public charging stations of the Ladesäulenregister, one row per station, located in its Gemeinde by its coordinates.",
        (
            C("station_id", "Int64", "Row number of the station in the register's sheet (the register has no id).", nullable=False),
            C("operator", "string", "Operator as published."),
            C("street", "string", "Street."),
            C("house_number", "string", "House number."),
            C("postcode", "string", "Postcode (5 digits, text)."),
            C("place", "string", "Place."),
            C("land_name", "string", "Land as published."),
            C("kreis_name_published", "string", "Kreis name as published (with its type)."),
            C("lat", "float64", "Latitude (EPSG:4326) after repair."),
            C("lon", "float64", "Longitude (EPSG:4326) after repair."),
            C("coordinate_fix", "string", "What was repaired: decimal_comma (text with a decimal comma), swapped (latitude and longitude exchanged), decimal_comma+swapped, or empty."),
            C("commissioned", "date32", "Commissioning date."),
            C("power_kw", "float64", "Connected load in kW."),
            C("charger_type", "string", "Normalladeeinrichtung or Schnellladeeinrichtung."),
            C("fast", "bool", "Schnellladeeinrichtung.", nullable=False),
            C("charging_points", "Int64", "Number of charging points."),
            C("gemeinde_id", "string", "Gemeinde that contains the point (or the nearest within tolerance)."),
            C("kreis_id", "string", "Kreis of that Gemeinde."),
            C("land_id", "string", "Land of that Gemeinde."),
            C("location_method", "string", "inside, nearest (within tolerance, e.g. coast or lake) or unlocated.", nullable=False),
            C("distance_m", "float64", "Distance in metres (EPSG:3035) to the Gemeinde polygon for nearest matches (tolerance 1,500 m)."),
            C("kreis_name_agrees", "bool", "Whether the published Kreis name agrees with the located Kreis; empty when unlocated or the name is not recognised. Disagreements are also listed in the quarantine."),
            *_PROVENANCE,
        ),
        ("station_id",),
    ),
) + PROJECT_TABLES

TABLES_BY_NAME = {t.name: t for t in TABLES}
