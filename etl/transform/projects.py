"""Project registries → projects, project_regions, sectors, project_sectors, registries.

In: the MPSC registry (``mpsc/…csv``: one row per model project) and the
codefor.de content files (``codefor_okfde/projekte/*.md`` and ``labs/*.md``:
YAML front matter, Markdown body), the regions built first, the reviewed
``data/sector_mapping.csv`` and ``data/resolver_overrides.csv``.
Out: one row per project with its reported funding as published; its regions
(official keys, lead or partner, and how each name was resolved); its sectors
(through the mapping of its published themes or tags); the sector taxonomy; one
row per registry with licence, attribution and counts.

Nothing is dropped silently: a name the resolver cannot decide, a theme the
mapping does not know, an amount that is not a number, a draft page — each gets
a quarantine entry with file, line, column, value and reason, and the counts go
into the manifest notes.

Decisions (see the closing note of the issue for the reasons in full):
- codefor drafts (``draft: true`` or ``1``) are not published on codefor.de and
  are not loaded (quarantine: "draft …"); ``_index.md`` is the section page, not
  a project.
- codefor dates come from the file-name prefix ``YYYY-MM-DD-``; two files
  (``2018-23-09-…``, ``2018-24-11-…``) carry a month above 12 and a plausible
  day in the month position: read as YYYY-DD-MM and said so in ``date_note``.
- personal fields of the codefor files are never read (whitelist in
  ``etl.extract.registries.read_front_matter``); e-mail addresses in the
  description text are replaced, ``mailto:`` links are not URLs of a project.
- codefor projects without tags get sectors from their title (basis "title")
  through the same mapping; when that finds none they are quarantined as
  "no sector".
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl import paths
from etl.catalogue.sources import SOURCES_BY_ID
from etl.catalogue.tables_projects import PROJECT_TABLES, SECTOR_IDS, SECTORS
from etl.context import BuildContext
from etl.extract.registries import LINE, read_csv_records, read_front_matter, strip_markdown
from etl.resolver import CITY_TYPES, Context, ResolutionError, Resolver, split_names, tokenise, with_point
from etl.steps import Step

TABLE_COLUMNS = {t.name: t.column_names for t in PROJECT_TABLES}

MPSC_ID = "mpsc"
MPSC_FILE = "mpsc/modellprojekte_smart_cities_2019-2021.csv"
MPSC_COLUMNS = (
    "mpsc_id", "staffel", "auswahljahr", "name_veroeffentlicht", "kategorie_veroeffentlicht", "partner_veroeffentlicht",
    "hinweis", "themen", "gesamtvolumen_eur", "foerderung_bund_eur", "foerderung_hinweis", "laufzeit_von", "laufzeit_bis",
    "quelle_auswahl", "quellen_details",
)
CODEFOR_ID = "codefor"
CODEFOR_PROJECTS = "codefor_okfde/projekte/*.md"
CODEFOR_LABS = "codefor_okfde/labs"

# Front-matter fields read at all (whitelist); everything else is never parsed.
PROJECT_FIELDS = frozenset({"title", "lab", "tags", "status", "links", "draft", "website", "excerpt"})
LAB_FIELDS = frozenset({"city", "title", "lat", "long"})
# Volunteers' names, accounts and e-mail addresses (SOURCES.md: do not load, store or show).
PERSONAL_FIELDS = frozenset({"collaborators", "colaborators", "members", "leads"})

# The MPSC notices spell the categories differently from round to round.
MPSC_CATEGORIES = {
    "großstädte": "Großstädte",
    "mittlere städte": "Mittelstädte",
    "mittelstädte": "Mittelstädte",
    "kleinstädte und landgemeinden": "Kleinstädte und Landgemeinden",
    "interkommunale kooperation und landkreise": "Interkommunale Kooperationen und Landkreise",
    "interkommunale kooperationen und landkreise": "Interkommunale Kooperationen und Landkreise",
}
# Which levels a name of each category may denote, and which region types fit a
# city category when several namesakes compete (a "Großstadt" is a Stadt).
CATEGORY_CONTEXT = {
    "Großstädte": (("gemeinde",), CITY_TYPES),
    "Mittelstädte": (("gemeinde",), CITY_TYPES),
    "Kleinstädte und Landgemeinden": (("gemeinde",), ()),
    "Interkommunale Kooperationen und Landkreise": (("gemeinde", "kreis"), ()),
}

_STATUS_GROUPS = (
    ("stopped", ("discontinued", "dead", "festgefahren", "verwaist", "eingestellt")),
    ("finished", ("abgeschlossen", "finished", "fertig", "done")),
    ("active", ("laufend", "progress", "in arbeit", "sucht", "looking", "prototyp", "produktiv", "active", "aktualisiert",
                "entwicklung", "released", "konzeption", "datensammlung", "machbarkeit", "test")),
)
_URL = re.compile(r"https?://[^\s;|,<>\"']+")
_EMAIL = re.compile(r"(mailto:)?[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_]")
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")


# ---------------------------------------------------------------- sectors


def normalise_theme(text: str) -> str:
    """Lower case, umlauts written out, punctuation as spaces: the form the mapping matches."""
    return " ".join(tokenise_theme(text))


def tokenise_theme(text: str) -> list[str]:
    text = str(text).lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return re.findall(r"[a-z0-9]+", text)


@dataclass(frozen=True)
class MappingRule:
    keyword: str  # normalised
    match: str  # part, start, word
    sector_id: str | None
    line: int

    def matches(self, padded: str) -> bool:
        if self.match == "word":
            return f" {self.keyword} " in padded
        if self.match == "start":
            return f" {self.keyword}" in padded
        return self.keyword in padded


@dataclass
class SectorMapping:
    """The reviewed mapping ``data/sector_mapping.csv``: theme keyword → sector."""

    rules: list[MappingRule]

    @classmethod
    def load(cls, path: Path = paths.SECTOR_MAPPING_FILE) -> SectorMapping:
        rules: list[MappingRule] = []
        problems: list[str] = []
        seen: set[tuple[str, str | None]] = set()
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            if header[:4] != ["keyword", "match", "sector_id", "notes"]:
                raise ValueError(f"{path.name}: header must be keyword,match,sector_id,notes (found {header})")
            for number, row in enumerate(reader, start=2):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) != 4:
                    problems.append(f"line {number}: {len(row)} fields, expected 4")
                    continue
                keyword, match, sector, notes = (c.strip() for c in row)
                norm = normalise_theme(keyword)
                if not norm:
                    problems.append(f"line {number}: empty keyword")
                if match not in ("part", "start", "word"):
                    problems.append(f"line {number}: match must be part, start or word, not {match!r}")
                if sector and sector not in SECTOR_IDS:
                    problems.append(f"line {number}: unknown sector {sector!r} (known: {', '.join(SECTOR_IDS)})")
                if not sector and not notes:
                    problems.append(f"line {number}: a keyword without sector needs a note saying why")
                if (norm, sector or None) in seen:
                    problems.append(f"line {number}: {keyword!r} → {sector or '(none)'} appears twice")
                seen.add((norm, sector or None))
                rules.append(MappingRule(norm, match, sector or None, number))
        if problems:
            raise ValueError(f"{path.name} is not valid: " + "; ".join(problems))
        return cls(rules)

    def classify(self, theme: str) -> tuple[set[str], bool]:
        """The sectors of one theme or tag, and whether any keyword knew it."""
        padded = f" {normalise_theme(theme)} "
        hits = [r for r in self.rules if r.matches(padded)]
        return {r.sector_id for r in hits if r.sector_id}, bool(hits)


def split_themes(text: str) -> list[str]:
    """``;``-separated themes; a ``;`` inside brackets belongs to its theme."""
    out, depth, current = [], 0, []
    for char in str(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if char == ";" and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return [t.strip() for t in out if t.strip()]


def classify_themes(themes: Iterable[str], mapping: SectorMapping) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Sector → themes that map to it; themes no keyword knows; themes known without sector."""
    sectors: dict[str, list[str]] = {}
    unknown: list[str] = []
    no_sector: list[str] = []
    for theme in themes:
        found, known = mapping.classify(theme)
        if not known:
            unknown.append(theme)
        elif not found:
            no_sector.append(theme)
        for sector in sorted(found):
            sectors.setdefault(sector, []).append(theme)
    return sectors, unknown, no_sector


def sectors_table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"sector_id": s.id, "name_de": s.name_de, "name_en": s.name_en, "description_de": s.description_de,
             "description_en": s.description_en, "sort_order": i}
            for i, s in enumerate(SECTORS, start=1)
        ],
        columns=TABLE_COLUMNS["sectors"],
    )


def find_sector(text: str) -> str | None:
    """A sector named by id, German or English name (for registries that declare sectors)."""
    norm = normalise_theme(text)
    for s in SECTORS:
        if norm in {normalise_theme(s.id), normalise_theme(s.name_de), normalise_theme(s.name_en)}:
            return s.id
    return None


# ---------------------------------------------------------------- shared helpers


def status_group(status: str | None) -> str:
    if not status:
        return "unknown"
    low = str(status).lower()
    for group, words in _STATUS_GROUPS:
        if any(w in low for w in words):
            return group
    return "unknown"


def extract_urls(*texts: object) -> list[str]:
    """http(s) URLs in published text, in order, without duplicates."""
    found: list[str] = []
    for text in texts:
        if text is None or (isinstance(text, float) and pd.isna(text)):
            continue
        for url in _URL.findall(str(text)):
            url = url.rstrip(".)")
            if url not in found:
                found.append(url)
    return found


def redact_emails(text: str) -> str:
    return _EMAIL.sub("[E-Mail entfernt]", text)


@dataclass
class RegistryBuild:
    """Rows of one registry under construction, with its own quarantine entries."""

    registry_id: str
    projects: list[dict] = field(default_factory=list)
    regions: list[dict] = field(default_factory=list)
    sectors: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    rows_read: int = 0
    notes: dict = field(default_factory=dict)
    _region_index: dict = field(default_factory=dict, repr=False)
    _sector_index: dict = field(default_factory=dict, repr=False)

    def reject(self, *, file: str, reason: str, target_table: str, line: int | None = None, column: str | None = None,
               value: object = None, sheet: str | None = None) -> None:
        self.quarantine.append({"file": file, "sheet": sheet, "line": line, "column": column, "value": value,
                                "reason": reason, "target_table": target_table})

    def link_region(self, project_id: str, resolved_regions, *, role: str, name: str, method: str) -> None:
        """Link a project to regions; a region named twice keeps its first name, and lead wins over partner."""
        for cand in resolved_regions:
            existing = self._region_index.get((project_id, cand.region_id))
            if existing is not None:
                if role == "lead":
                    existing["role"] = "lead"
                continue
            row = {"registry_id": self.registry_id, "project_id": project_id, "region_id": cand.region_id,
                   "level": cand.level, "role": role, "name_published": name, "method": method}
            self._region_index[(project_id, cand.region_id)] = row
            self.regions.append(row)

    def link_sectors(self, project_id: str, sectors: dict[str, list[str]], basis: str) -> None:
        for sector, themes in sectors.items():
            if (project_id, sector) in self._sector_index:
                continue
            row = {"registry_id": self.registry_id, "project_id": project_id, "sector_id": sector,
                   "basis": basis, "themes": "; ".join(dict.fromkeys(themes))}
            self._sector_index[(project_id, sector)] = row
            self.sectors.append(row)

    def unlink_sectors(self, project_id: str, sectors: Iterable[str]) -> None:
        """Drop sector links (an imported registry's declared sector replaces the mapped one)."""
        drop = {(project_id, s) for s in sectors} & set(self._sector_index)
        for key in drop:
            del self._sector_index[key]
        self.sectors = [r for r in self.sectors if (r["project_id"], r["sector_id"]) not in drop]

    def check_complete(self, file_of: dict[str, tuple[str, int | None]]) -> None:
        """A quarantine entry for every loaded project without region or sector."""
        with_region = {r["project_id"] for r in self.regions}
        with_sector = {r["project_id"] for r in self.sectors}
        for p in self.projects:
            pid = p["project_id"]
            file, line = file_of[pid]
            if pid not in with_region:
                self.reject(file=file, line=line, column=None, value=pid, target_table="project_regions",
                            reason="project has no region: none of its published names resolved (see the entries above)")
            if pid not in with_sector:
                self.reject(file=file, line=line, column=None, value=pid, target_table="project_sectors",
                            reason="project has no sector: no published theme or tag maps to a sector")

    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "projects": pd.DataFrame(self.projects, columns=TABLE_COLUMNS["projects"]),
            "project_regions": pd.DataFrame(self.regions, columns=TABLE_COLUMNS["project_regions"]),
            "project_sectors": pd.DataFrame(self.sectors, columns=TABLE_COLUMNS["project_sectors"]),
        }

    def quarantine_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.quarantine, columns=["file", "sheet", "line", "column", "value", "reason", "target_table"])

    def summary(self) -> dict:
        loaded = {p["project_id"] for p in self.projects}
        return {
            "rows_read": self.rows_read,
            "projects": len(loaded),
            "projects_quarantined": self.rows_read - len(loaded),
            "projects_with_region": len(loaded & {r["project_id"] for r in self.regions}),
            "projects_with_sector": len(loaded & {r["project_id"] for r in self.sectors}),
            "region_links": len(self.regions),
            "sector_links": len(self.sectors),
            "quarantine_rows": len(self.quarantine),
        }


def registry_row(build: RegistryBuild, *, title: str, publisher: str, url: str | None, licence: str, attribution: str,
                 date: str, origin: str, files: Iterable[str]) -> dict:
    return {"registry_id": build.registry_id, "title": title, "publisher": publisher, "url": url, "licence": licence,
            "attribution": attribution, "date": date, "origin": origin, "files": "\n".join(files), **build.summary()}


def empty_project_row(registry_id: str, project_id: str, source_id: str, source_file: str) -> dict:
    row = {c: None for c in TABLE_COLUMNS["projects"]}
    row.update(registry_id=registry_id, project_id=project_id, source_id=source_id, source_file=source_file, status_group="unknown")
    return row


# ---------------------------------------------------------------- MPSC


def _amount(build: RegistryBuild, row: dict, column: str, file: str) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    if _AMOUNT.match(text):
        return float(text)
    build.reject(file=file, line=row[LINE], column=column, value=text, target_table="projects",
                 reason="amount is not a number in EUR (digits with an optional decimal point); left empty")
    return None


def _year(build: RegistryBuild, row: dict, column: str, file: str) -> int | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    if re.fullmatch(r"(19|20)\d\d", text):
        return int(text)
    build.reject(file=file, line=row[LINE], column=column, value=text, target_table="projects",
                 reason="year is not a four-digit year; left empty")
    return None


def transform_mpsc(ctx: BuildContext, resolver: Resolver, mapping: SectorMapping) -> RegistryBuild:
    """The MPSC registry: one project per row, lead and partners resolved by name."""
    build = RegistryBuild(MPSC_ID)
    raw = read_csv_records(ctx.path(MPSC_FILE), MPSC_FILE, required=MPSC_COLUMNS)
    source = SOURCES_BY_ID[MPSC_ID]
    build.rows_read = len(raw)
    seen: dict[str, int] = {}
    file_of: dict[str, tuple[str, int | None]] = {}
    unknown_themes: dict[str, list[str]] = {}
    for row in raw.to_dict("records"):
        line = int(row[LINE])
        pid = (row["mpsc_id"] or "").strip()
        if not re.fullmatch(r"MPSC-\d{4}-\d{2}", pid):
            build.reject(file=MPSC_FILE, line=line, column="mpsc_id", value=pid, target_table="projects",
                         reason="mpsc_id missing or not of the form MPSC-YYYY-NN: project not loaded")
            continue
        if pid in seen:
            build.reject(file=MPSC_FILE, line=line, column="mpsc_id", value=pid, target_table="projects",
                         reason=f"duplicate mpsc_id (first on line {seen[pid]}): project not loaded")
            continue
        seen[pid] = line
        file_of[pid] = (MPSC_FILE, line)
        published_category = (row["kategorie_veroeffentlicht"] or "").strip()
        category = MPSC_CATEGORIES.get(published_category.lower())
        if category is None:
            build.reject(file=MPSC_FILE, line=line, column="kategorie_veroeffentlicht", value=published_category, target_table="projects",
                         reason="category not one of the four MPSC categories; names resolved at Gemeinde and Kreis level")
        levels, prefer = CATEGORY_CONTEXT.get(category, (("gemeinde", "kreis"), ()))
        context = Context(registry=MPSC_ID, levels=levels, prefer_types=prefer)

        name = (row["name_veroeffentlicht"] or "").strip()
        partners_col = [p.strip() for p in (row["partner_veroeffentlicht"] or "").split(";") if p.strip()]
        _link_mpsc_names(build, resolver, pid, name, partners_col, context, line)

        themes = split_themes(row["themen"] or "")
        sectors, unknown, _ = classify_themes(themes, mapping)
        build.link_sectors(pid, sectors, "theme")
        for theme in unknown:
            unknown_themes.setdefault(pid, []).append(theme)
            build.reject(file=MPSC_FILE, line=line, column="themen", value=theme, target_table="project_sectors",
                         reason="theme not in sector mapping")

        staffel = (row["staffel"] or "").strip()
        year = _year(build, row, "auswahljahr", MPSC_FILE)
        out = empty_project_row(MPSC_ID, pid, MPSC_ID, MPSC_FILE)
        out.update(
            title=name,
            description=None,
            programme="Modellprojekte Smart Cities",
            round=f"Staffel {staffel} ({year})" if staffel and year else (f"Staffel {staffel}" if staffel else None),
            category=category or published_category or None,
            status=None,
            status_group="unknown",
            year=year,
            start_year=_year(build, row, "laufzeit_von", MPSC_FILE),
            end_year=_year(build, row, "laufzeit_bis", MPSC_FILE),
            funding_federal_eur=_amount(build, row, "foerderung_bund_eur", MPSC_FILE),
            funding_total_eur=_amount(build, row, "gesamtvolumen_eur", MPSC_FILE),
            funding_note=(row["foerderung_hinweis"] or "").strip() or None,
            themes="; ".join(themes) or None,
            urls="\n".join(extract_urls(row["quellen_details"], row["quelle_auswahl"])) or None,
            location_published=name,
            licence=source.licence,
            line=line,
        )
        build.projects.append(out)
    build.check_complete(file_of)
    build.notes["unknown_themes"] = unknown_themes
    return build


def _link_mpsc_names(build: RegistryBuild, resolver: Resolver, pid: str, name: str, partners_col: list[str], context: Context, line: int) -> None:
    """Resolve the published name: one place, or a cooperation "A, B und C" (lead first)."""
    cooperation = bool(partners_col) or bool(re.match(r"\s*(interkommunale\s+)?kooperation\b", name, re.IGNORECASE))
    members = split_names(name) if cooperation else [name]
    if not members:
        build.reject(file=MPSC_FILE, line=line, column="name_veroeffentlicht", value=name, target_table="project_regions",
                     reason="no published name")
        return
    # Partners published in their own column are named in the name too; add any that is not.
    named = {" ".join(tokenise(m)) for m in members}
    extra = [p for p in partners_col if " ".join(tokenise(p)) not in named]
    entries = [(members[0], "lead", "name_veroeffentlicht")] + [(m, "partner", "name_veroeffentlicht") for m in members[1:]]
    entries += [(p, "partner", "partner_veroeffentlicht") for p in extra]
    for member, role, column in entries:
        try:
            resolved = resolver.resolve(member, context)
        except ResolutionError as exc:
            build.reject(file=MPSC_FILE, line=line, column=column, value=member, target_table="project_regions", reason=exc.message)
            continue
        build.link_region(pid, resolved.regions, role=role, name=member, method=resolved.method)


# ---------------------------------------------------------------- codefor


@dataclass
class Lab:
    slug: str
    city: str | None
    lat: float | None
    lon: float | None
    file: str | None


def read_labs(ctx: BuildContext) -> dict[str, Lab]:
    labs = {}
    for path in ctx.glob(f"{CODEFOR_LABS}/*.md"):
        rel = ctx.relpath(path)
        fm = read_front_matter(path, rel, LAB_FIELDS)
        city = fm.fields.get("city")
        labs[path.stem] = Lab(path.stem, str(city).strip() if city else None, _num(fm.fields.get("lat")), _num(fm.fields.get("long")), rel)
    return labs


def _num(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def resolve_lab(resolver: Resolver, labs: dict[str, Lab], slug: str):
    """The regions of a lab: its city (with its coordinates), or the slug itself when the lab has no file."""
    lab = labs.get(slug)
    context = Context(registry=CODEFOR_ID, levels=("gemeinde", "kreis", "land"))
    if lab is None:
        # SOURCES.md: the slugs darmstadt and bremen are used by projects but have no lab file.
        return resolver.resolve(slug, context), f"lab slug {slug!r} (no lab file)"
    name = lab.city or slug
    return resolver.resolve(name, with_point(context, lab.lat, lab.lon)), f"lab {slug!r}, city {name!r}"


def parse_date_prefix(filename: str) -> tuple[dt.date | None, str | None]:
    """The date of a codefor file name ``YYYY-MM-DD-slug.md``; irregular prefixes explained."""
    match = _DATE_PREFIX.match(filename)
    if match is None:
        return None, "file name has no YYYY-MM-DD- prefix"
    year, a, b = (int(g) for g in match.groups())
    try:
        return dt.date(year, a, b), None
    except ValueError:
        pass
    if a > 12 and b <= 12:
        try:
            date = dt.date(year, b, a)
        except ValueError:
            return None, f"file-name prefix {match.group(0)[:-1]} is not a date"
        return date, f"file-name prefix {match.group(0)[:-1]} is not a valid YYYY-MM-DD date; read as YYYY-DD-MM ({date.isoformat()})"
    return None, f"file-name prefix {match.group(0)[:-1]} is not a date"


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _link_urls(links: object, website: object) -> list[str]:
    urls: list[str] = []
    for item in _as_list(links):
        if isinstance(item, dict):
            item = item.get("url")
        if isinstance(item, str):
            urls.extend(extract_urls(item))
    if isinstance(website, str):
        urls.extend(extract_urls(website))
    return list(dict.fromkeys(urls))


def transform_codefor(ctx: BuildContext, resolver: Resolver, mapping: SectorMapping) -> RegistryBuild:
    """The codefor.de projects, located through their labs."""
    build = RegistryBuild(CODEFOR_ID)
    source = SOURCES_BY_ID[CODEFOR_ID]
    labs = read_labs(ctx)
    lab_cache: dict[str, object] = {}
    file_of: dict[str, tuple[str, int | None]] = {}
    date_notes: dict[str, str] = {}
    duplicates: dict[str, list[str]] = {}
    unknown_tags: dict[str, list[str]] = {}
    title_based: list[str] = []
    for path in ctx.glob(CODEFOR_PROJECTS):
        rel = ctx.relpath(path)
        if path.name.startswith("_"):
            continue  # _index.md: the section page of the website, not a project
        build.rows_read += 1
        fm = read_front_matter(path, rel, PROJECT_FIELDS)
        pid = path.stem
        fields = fm.fields
        if fm.ignored_duplicates:
            duplicates[pid] = fm.ignored_duplicates
        draft = fields.get("draft")
        if draft is True or draft == 1:
            build.reject(file=rel, line=None, column="draft", value=str(draft), target_table="projects",
                         reason="draft on codefor.de (not published on the site): not loaded")
            continue
        title = str(fields.get("title") or "").strip()
        if not title:
            build.reject(file=rel, column="title", target_table="projects", reason="no title: not loaded")
            continue
        file_of[pid] = (rel, None)
        date, date_note = parse_date_prefix(path.name)
        if date_note:
            date_notes[pid] = date_note

        lab_slugs = [str(s).strip() for s in _as_list(fields.get("lab")) if str(s).strip()]
        if not lab_slugs:
            build.reject(file=rel, column="lab", target_table="project_regions", reason="no lab: the project cannot be located")
        for i, slug in enumerate(lab_slugs):
            if slug not in lab_cache:
                try:
                    lab_cache[slug] = resolve_lab(resolver, labs, slug)
                except ResolutionError as exc:
                    lab_cache[slug] = exc
            result = lab_cache[slug]
            if isinstance(result, ResolutionError):
                build.reject(file=rel, column="lab", value=slug, target_table="project_regions", reason=f"lab {slug!r}: {result.message}")
                continue
            resolved, _ = result
            build.link_region(pid, resolved.regions, role="lead" if i == 0 else "partner", name=slug, method=resolved.method)

        tags = [str(t).strip() for t in _as_list(fields.get("tags")) if str(t).strip()]
        if tags:
            sectors, unknown, _ = classify_themes(tags, mapping)
            build.link_sectors(pid, sectors, "tag")
            for tag in unknown:
                unknown_tags.setdefault(pid, []).append(tag)
                build.reject(file=rel, column="tags", value=tag, target_table="project_sectors", reason="theme not in sector mapping")
        else:
            sectors, _, _ = classify_themes([title], mapping)
            if sectors:
                title_based.append(pid)
            build.link_sectors(pid, sectors, "title")

        status = str(fields["status"]).strip() if fields.get("status") is not None else None
        body = redact_emails(strip_markdown(fm.body))
        excerpt = fields.get("excerpt")
        out = empty_project_row(CODEFOR_ID, pid, CODEFOR_ID, rel)
        out.update(
            title=title,
            description=body or (redact_emails(str(excerpt)).strip() if excerpt else None),
            programme="Code for Germany",
            status=status or None,
            status_group=status_group(status),
            year=date.year if date else None,
            date=date,
            date_note=date_note,
            themes="; ".join(tags) or None,
            urls="\n".join(_link_urls(fields.get("links"), fields.get("website"))) or None,
            location_published=", ".join(lab_slugs) or None,
            licence=source.licence,
        )
        build.projects.append(out)
    # Not a row per se, but the notes say which labs went where.
    build.notes["labs"] = {
        slug: ([c.region_id for c in res[0].regions], res[0].method) if not isinstance(res, ResolutionError) else res.message
        for slug, res in sorted(lab_cache.items())
    }
    build.notes["date_notes"] = date_notes
    build.notes["duplicate_front_matter_keys_ignored"] = duplicates
    build.notes["unknown_themes"] = unknown_tags
    build.notes["sectors_from_title_no_tags"] = title_based
    build.check_complete(file_of)
    return build


# ---------------------------------------------------------------- the step


def kit_registry_row(build: RegistryBuild, source_id: str, files: Iterable[str]) -> dict:
    s = SOURCES_BY_ID[source_id]
    return registry_row(build, title=s.title, publisher=s.publisher, url=s.url, licence=s.licence, attribution=s.attribution,
                        date=s.reference_date, origin="kit", files=files)


def build_projects(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    resolver = Resolver.from_files(ctx.regions)
    mapping = SectorMapping.load()
    builds = [
        (transform_mpsc(ctx, resolver, mapping), [MPSC_FILE]),
        (transform_codefor(ctx, resolver, mapping), [CODEFOR_PROJECTS, f"{CODEFOR_LABS}/*.md"]),
    ]
    tables: dict[str, list[pd.DataFrame]] = {"projects": [], "project_regions": [], "project_sectors": []}
    registries = []
    for build, files in builds:
        for name, frame in build.frames().items():
            tables[name].append(frame)
        add_quarantine(ctx, build)
        registries.append(kit_registry_row(build, build.registry_id, files))
        ctx.note("projects", build.registry_id, {**build.summary(), **_quarantine_reasons(build), **build.notes})
        ctx.log(f"projects {build.registry_id}: {build.summary()}")
    used = sorted({r["name_published"] for b, _ in builds for r in b.regions if r["method"] == "override"})
    ctx.note("projects", "overrides_used", used)
    out = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}
    out["sectors"] = sectors_table()
    out["registries"] = pd.DataFrame(registries, columns=TABLE_COLUMNS["registries"])
    return out


def add_quarantine(ctx: BuildContext, build: RegistryBuild) -> None:
    frame = build.quarantine_frame()
    for target, part in frame.groupby("target_table", sort=False):
        ctx.quarantine.add_frame(part.drop(columns="target_table"), source_id=build.registry_id, target_table=str(target))


def _quarantine_reasons(build: RegistryBuild) -> dict:
    counts: dict[str, int] = {}
    for q in build.quarantine:
        reason = re.sub(r"'[^']*'|\(candidates:.*\)", "…", q["reason"])
        counts[reason] = counts.get(reason, 0) + 1
    return {"quarantined_by_reason": counts}


# Its rows of projects, project_regions, project_sectors and registries are this
# step's parts (the imported registries are those of the step registries); the
# fixed sector taxonomy is its own whole table.
STEP = Step("projects", 90, (MPSC_ID, CODEFOR_ID), build_projects, ("sectors",))
