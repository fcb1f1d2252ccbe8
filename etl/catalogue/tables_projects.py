"""The project tables: registries of digital projects linked to regions and sectors.

Declared once here (columns, types, primary keys, allowed values) together with
the fixed sector taxonomy that ``project_sectors`` may use. ``etl.transform.projects``
fills them from the registries of the kit (the build step ``projects``),
``etl.transform.registries`` from the associations' registries kept by
``python -m etl import-registry`` (the step ``registries``). Every table but
``sectors`` is stored per step (``<table>/projects.parquet``,
``<table>/registries.parquet``), so an import rewrites only the part of the
step ``registries``.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.catalogue.model import Column, Table

C = Column


@dataclass(frozen=True)
class Sector:
    id: str
    name_de: str
    name_en: str
    description_de: str
    description_en: str


# The fixed taxonomy of the issue "Digital projects" (order = display order).
SECTORS: tuple[Sector, ...] = (
    Sector("administration", "Verwaltung & Bürgerdienste", "Administration & citizen services",
           "Digitale Verwaltung, Online-Dienste, Bürger-Apps, Ratsinformation.", "Digital administration, online services, citizen apps, council information."),
    Sector("infrastructure_data", "Digitale Infrastruktur & Daten", "Digital infrastructure & data",
           "Breitband, WLAN, Sensornetze, Datenplattformen, Open Data, digitale Zwillinge.", "Broadband, Wi-Fi, sensor networks, data platforms, open data, digital twins."),
    Sector("mobility", "Mobilität", "Mobility",
           "Verkehr, ÖPNV, Rad, Parken, Sharing, E-Mobilität.", "Traffic, public transport, cycling, parking, sharing, e-mobility."),
    Sector("energy_buildings", "Energie & Gebäude", "Energy & buildings",
           "Energieversorgung, Energieeffizienz, Beleuchtung, Gebäude und Sanierung.", "Energy supply and efficiency, lighting, buildings and retrofitting."),
    Sector("climate_environment_water", "Klima, Umwelt & Wasser", "Climate, environment & water",
           "Klimaschutz und -anpassung, Umwelt- und Luftdaten, Natur, Wasser, Abfall.", "Climate protection and adaptation, environmental and air data, nature, water, waste."),
    Sector("economy_trade_logistics", "Wirtschaft, Handel & Logistik", "Economy, trade & logistics",
           "Wirtschaftsförderung, Einzelhandel, Tourismus, Arbeit, Logistik, Landwirtschaft.", "Business development, retail, tourism, work, logistics, agriculture."),
    Sector("education_culture", "Bildung & Kultur", "Education & culture",
           "Schulen, digitale Kompetenzen, Bibliotheken, Kultur, Freizeit, Wissenschaft.", "Schools, digital skills, libraries, culture, leisure, science."),
    Sector("health_care", "Gesundheit & Pflege", "Health & care",
           "Gesundheitsversorgung, Telemedizin, Pflege, Prävention.", "Health services, telemedicine, care, prevention."),
    Sector("safety_resilience", "Sicherheit & Resilienz", "Safety & resilience",
           "Katastrophenschutz, Warnsysteme, kritische Infrastruktur, IT-Sicherheit.", "Civil protection, warning systems, critical infrastructure, IT security."),
    Sector("urban_development_housing", "Stadtentwicklung & Wohnen", "Urban development & housing",
           "Stadt- und Quartiersentwicklung, Innenstadt, Dorfentwicklung, Planung, Wohnen, Strategie.", "Urban and neighbourhood development, town centres, villages, planning, housing, strategy."),
    Sector("participation_inclusion", "Teilhabe & Beteiligung", "Participation & inclusion",
           "Bürgerbeteiligung, Transparenz, Demokratie, Ehrenamt, Inklusion, Gemeinschaft.", "Citizen participation, transparency, democracy, volunteering, inclusion, community."),
)
SECTOR_IDS: tuple[str, ...] = tuple(s.id for s in SECTORS)

_KEYS = (
    C("registry_id", "string", "Id of the registry (registries.registry_id).", nullable=False),
    C("project_id", "string", "Id of the project within its registry (MPSC: mpsc_id; codefor: file name without .md).", nullable=False),
)

PROJECT_TABLES: tuple[Table, ...] = (
    Table(
        "projects",
        "Digital projects of the registries: one row per project, with reported funding as published.",
        (
            *_KEYS,
            C("title", "string", "Title; for MPSC the name of the model project as published in the selection notice.", nullable=False),
            C("description", "string", "Description as published (Markdown reduced to text), where the registry has one."),
            C("programme", "string", "Programme or network the project belongs to."),
            C("round", "string", "Round of a programme (MPSC Staffel and selection year)."),
            C("category", "string", "Category as published, harmonised spelling (MPSC: Großstädte, Mittelstädte, Kleinstädte und Landgemeinden, Interkommunale Kooperationen und Landkreise)."),
            C("status", "string", "Status as published."),
            C("status_group", "string", "Status in four groups: active, finished, stopped, unknown.", nullable=False, allowed=("active", "finished", "stopped", "unknown")),
            C("year", "Int64", "Year the project entered the registry: MPSC selection year; codefor year of the project page; template start year."),
            C("date", "date32", "Date of the project page (codefor file-name prefix)."),
            C("date_note", "string", "How the date was read where the published form was irregular."),
            C("start_year", "Int64", "First year of the running time, where stated."),
            C("end_year", "Int64", "Last year of the running time, where stated."),
            C("funding_federal_eur", "float64", "Federal grant in EUR as reported (not an award notice); empty when no source states it."),
            C("funding_total_eur", "float64", "Total volume in EUR as reported; empty when no source states it."),
            C("funding_note", "string", "Exact wording of the funding sources ('bis zu', 'rund') and figures where sources disagree."),
            C("themes", "string", "Published themes or tags, '; '-separated, as published."),
            C("urls", "string", "Links of the project (URLs only), one per line."),
            C("location_published", "string", "Where the registry locates the project, as published (MPSC name, codefor lab slugs)."),
            C("licence", "string", "Licence of the registry entry."),
            C("line", "Int64", "1-based line (CSV) or row (sheet) of the project in the raw file; empty for one-file-per-project registries."),
            C("source_id", "string", "Source id of the catalogue, or the id of an imported registry.", nullable=False),
            C("source_file", "string", "Raw file the row comes from, relative to the raw-data directory (imported registries: the file name).", nullable=False),
        ),
        ("registry_id", "project_id"),
        per_step=True,
    ),
    Table(
        "project_regions",
        "Which regions (official keys of regions) each project is linked to, and how the published name was resolved.",
        (
            *_KEYS,
            C("region_id", "string", "Key of regions.region_id.", nullable=False),
            C("level", "string", "Level of the region (bund: Germany as a whole, DG, for a national project; verband: a Gemeindeverband named as such).",
              nullable=False, allowed=("bund", "land", "rbz", "kreis", "verband", "gemeinde")),
            C("role", "string", "lead (the project's applicant or lab) or partner.", nullable=False, allowed=("lead", "partner")),
            C("name_published", "string", "The name as published that led to this region.", nullable=False),
            C("method", "string", "How it was resolved: key, name, override (data/resolver_overrides.csv), coordinates, land, category, "
              "district (a Bezirk or part of a city, linked to the city; data/city_districts.csv).", nullable=False,
              allowed=("key", "name", "override", "coordinates", "land", "category", "district")),
        ),
        ("registry_id", "project_id", "region_id"),
        per_step=True,
    ),
    Table(
        "sectors",
        "The fixed sector taxonomy of digital projects, German and English.",
        (
            C("sector_id", "string", "Id of the sector.", nullable=False, allowed=SECTOR_IDS),
            C("name_de", "string", "Name, German.", nullable=False),
            C("name_en", "string", "Name, English.", nullable=False),
            C("description_de", "string", "What belongs to it, German.", nullable=False),
            C("description_en", "string", "What belongs to it, English.", nullable=False),
            C("sort_order", "Int64", "Display order.", nullable=False),
        ),
        ("sector_id",),
    ),
    Table(
        "project_sectors",
        "Sectors of each project (one project, several sectors), from its published themes or tags through data/sector_mapping.csv.",
        (
            *_KEYS,
            C("sector_id", "string", "Key of sectors.", nullable=False, allowed=SECTOR_IDS),
            C("basis", "string", "theme or tag (published, through the mapping), title (a project without tags: its title through the mapping) or declared (sector named in an imported registry).",
              nullable=False, allowed=("theme", "tag", "title", "declared")),
            C("themes", "string", "The published themes or tags that map to this sector, '; '-separated.", nullable=False),
        ),
        ("registry_id", "project_id", "sector_id"),
        per_step=True,
    ),
    Table(
        "registries",
        "The project registries in the warehouse: origin, licence, attribution and row counts.",
        (
            C("registry_id", "string", "Id of the registry (a source id of the kit, or the id given on import).", nullable=False),
            C("title", "string", "Title.", nullable=False),
            C("publisher", "string", "Publisher.", nullable=False),
            C("url", "string", "Where the publisher offers it."),
            C("licence", "string", "Licence.", nullable=False),
            C("attribution", "string", "Attribution text to show with the data.", nullable=False),
            C("date", "string", "Reference date of the registry (ISO), or the import date.", nullable=False),
            C("origin", "string", "kit (built from the raw kit) or import (python -m etl import-registry).", nullable=False, allowed=("kit", "import")),
            C("files", "string", "Files read, one per line (relative to the raw-data directory, or the imported file's name)."),
            C("rows_read", "Int64", "Project records read (rows or files).", nullable=False),
            C("projects", "Int64", "Projects loaded.", nullable=False),
            C("projects_quarantined", "Int64", "Project records left out (see quarantine).", nullable=False),
            C("projects_with_region", "Int64", "Loaded projects linked to at least one region.", nullable=False),
            C("projects_with_sector", "Int64", "Loaded projects with at least one sector.", nullable=False),
            C("region_links", "Int64", "Rows in project_regions.", nullable=False),
            C("sector_links", "Int64", "Rows in project_sectors.", nullable=False),
            C("quarantine_rows", "Int64", "Quarantine entries of this registry (projects left out, unresolved names, unknown themes).", nullable=False),
        ),
        ("registry_id",),
        per_step=True,
    ),
)
