"""``python -m etl import-registry FILE --id NAME``: an association's own registry into the warehouse.

In: a filled-in copy of ``data/templates/registry_template.csv`` or ``.xlsx``
(one row per project, columns in ``TEMPLATE_COLUMNS``) and an existing warehouse.
Out: the file and its metadata kept in the registry store (``DSR_REGISTRIES``,
default ``data/registries/<id>/``), and the warehouse rebuilt by its one build
step ``registries`` (``etl.transform.registries``, ``build --only registries``),
which loads every kept registry into ``projects``, ``project_regions``,
``project_sectors`` and ``registries`` (that step's parts) and its rejected rows
and cells into ``quarantine``; every other table and part is carried over
unchanged. Importing the same id again replaces that registry. A full
``python -m etl build`` runs the same step, so no import is lost by a rebuild.

Checks (``check_registry``, the same for an import and for the step), each with
a message naming line and column and a quarantine entry:
the file must be UTF-8 (a Latin-1 export is refused with the line of the first
bad byte) and have the required columns (both stop the import: nothing is
written); per row: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return looks like a spreadsheet formula (possible formula injection)
and rejects the row; so do a missing id or title, a duplicate project id, an
amount that is not a number, a year out of range, and a row none of whose
regions resolves (names are resolved by ``etl.resolver`` at the levels
``IMPORT_LEVELS``, Gemeindeverbände and Germany as a whole included). A region,
theme, sector or URL that cannot be used is quarantined on its own and the row
still loads; so are coordinates (``lat``/``lon``) that cannot be read, and a
point that lies outside every region of its row (a warning, checked against the
warehouse's ``region_shapes``). Valid rows always load. A file with no valid row
(a header only, or every row refused) is refused as a whole (:class:`NoValidRows`,
exit 2): it never replaces a registry of the same id, neither in the warehouse
nor in the store; neither does an import whose rebuild fails.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import re
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from etl import paths
from etl.catalogue import GERMANY_ID, SOURCES_BY_ID, TABLES_BY_NAME
from etl.errors import InputError
from etl.extract.registries import LINE, PROBLEM, read_csv_records, read_xlsx_records
from etl.load import locate_warehouse, now_iso, read_manifest, sha256_file
from etl.resolver import POINT_TOLERANCE_KM, AmbiguousName, Context, ResolutionError, Resolver, with_point
from etl.transform.projects import (
    RegistryBuild,
    SectorMapping,
    classify_themes,
    empty_project_row,
    extract_urls,
    find_sector,
    registry_row,
    status_group,
)

YEAR_MIN = 1990  # the earliest digital-project registries of the kit start in 2011
YEAR_MAX = 2050
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SHEET = "projects"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
_AMOUNT = re.compile(r"^\d+([.,]\d{1,2})?$")


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    required: bool
    description_de: str
    description_en: str


TEMPLATE_COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("project_id", True, "Eindeutige Kennung des Projekts in Ihrem Register (Text, z. B. P-001).", "Unique id of the project in your registry (text, e.g. P-001)."),
    TemplateColumn("title", True, "Titel des Projekts.", "Title of the project."),
    TemplateColumn("regions", True, "Beteiligte Gebiete, mit ; getrennt, federführendes zuerst: amtlicher Schlüssel (Land 2, Kreis 5, Gemeinde 8, "
                   "Gemeindeverband 9 Stellen) oder Name (ein Gemeindeverband mit seiner Art: „Verbandsgemeinde Kaisersesch“, „Amt Büchen“).",
                   "Regions taking part, separated by ;, lead first: official key (Land 2, Kreis 5, Gemeinde 8, Gemeindeverband 9 digits) or name "
                   "(a Gemeindeverband with its kind: \"Verbandsgemeinde Kaisersesch\", \"Amt Büchen\")."),
    TemplateColumn("land", False, "Land (Name oder zweistelliger Schlüssel), um gleichnamige Gemeinden zu unterscheiden.", "Land (name or two-digit key) to tell namesakes apart."),
    TemplateColumn("lat", False, "Breitengrad eines Punkts im Projektgebiet (WGS 84, Dezimalgrad, z. B. 50,9375 oder 50.9375): entscheidet zwischen gleichnamigen Gemeinden und prüft die genannte Region.",
                   "Latitude of a point in the project's area (WGS 84 decimal degrees, e.g. 50.9375 or 50,9375): decides between namesakes and checks the named region."),
    TemplateColumn("lon", False, "Längengrad dieses Punkts (WGS 84, Dezimalgrad, z. B. 6,9603).", "Longitude of that point (WGS 84 decimal degrees, e.g. 6.9603)."),
    TemplateColumn("description", False, "Kurzbeschreibung.", "Short description."),
    TemplateColumn("themes", False, "Themen oder Schlagworte, mit ; getrennt (werden über data/sector_mapping.csv Sektoren zugeordnet).",
                   "Themes or tags, separated by ; (mapped to sectors through data/sector_mapping.csv)."),
    TemplateColumn("sectors", False, "Sektoren direkt, mit ; getrennt: Kennung, deutscher oder englischer Name (siehe Tabelle sectors).",
                   "Sectors directly, separated by ;: id, German or English name (see table sectors)."),
    TemplateColumn("programme", False, "Förderprogramm oder Netzwerk.", "Funding programme or network."),
    TemplateColumn("category", False, "Kategorie in Ihrem Register.", "Category in your registry."),
    TemplateColumn("status", False, "Status (z. B. laufend, abgeschlossen).", "Status (e.g. laufend, abgeschlossen)."),
    TemplateColumn("start_year", False, f"Erstes Jahr der Laufzeit ({YEAR_MIN}–{YEAR_MAX}).", f"First year of the running time ({YEAR_MIN}–{YEAR_MAX})."),
    TemplateColumn("end_year", False, f"Letztes Jahr der Laufzeit ({YEAR_MIN}–{YEAR_MAX}), nicht vor start_year.", f"Last year ({YEAR_MIN}–{YEAR_MAX}), not before start_year."),
    TemplateColumn("funding_federal_eur", False, "Bundesförderung in Euro, nur Ziffern (Dezimalzeichen . oder , mit höchstens 2 Stellen, keine Tausenderpunkte).",
                   "Federal grant in EUR, digits only (decimal . or , with at most 2 places, no thousands separators)."),
    TemplateColumn("funding_total_eur", False, "Gesamtvolumen in Euro, wie funding_federal_eur.", "Total volume in EUR, like funding_federal_eur."),
    TemplateColumn("funding_note", False, "Hinweis zu den Beträgen (Quelle, 'bis zu', 'rund').", "Note on the amounts (source, 'up to', 'about')."),
    TemplateColumn("url", False, "Webseite(n) des Projekts, mit ; getrennt (http:// oder https://).", "Web page(s) of the project, separated by ; (http:// or https://)."),
    TemplateColumn("licence", False, "Lizenz des Eintrags (z. B. CC BY 4.0).", "Licence of the entry (e.g. CC BY 4.0)."),
)
COLUMN_NAMES = tuple(c.name for c in TEMPLATE_COLUMNS)
REQUIRED = tuple(c.name for c in TEMPLATE_COLUMNS if c.required)


class NoValidRows(InputError):
    """A file with no row that can be loaded: nothing is written, nothing kept."""

    def __init__(self, file: str, registry_id: str, messages: list[str], rows_read: int):
        self.messages = messages
        what = "has a header but no rows" if rows_read == 0 else f"has no valid row ({rows_read} read, all refused: see the messages above)"
        super().__init__(file, f"{what}; nothing imported, and the registry {registry_id!r} (if already imported) "
                               "and its kept copy are left as they were")


@dataclass
class ImportResult:
    registry_id: str
    file: str
    build: RegistryBuild
    ignored_columns: list[str]
    written: bool

    @property
    def messages(self) -> list[str]:
        out = []
        for q in self.build.quarantine:
            where = [q["file"]]
            if q.get("sheet"):
                where.append(f"sheet {q['sheet']!r}")
            if q.get("line") is not None:
                where.append(f"line {q['line']}")
            if q.get("column"):
                where.append(f"column {q['column']!r}")
            value = f" (value {q['value']!r})" if q.get("value") not in (None, "") else ""
            out.append(f"{', '.join(where)}: {q['reason']}{value}")
        return out


def read_template(path: Path) -> tuple[pd.DataFrame, str | None]:
    """The rows of a filled-in template, CSV (UTF-8, ``,`` or ``;``) or XLSX (sheet ``projects``)."""
    name = path.name
    if not path.exists():
        raise InputError(name, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return read_csv_records(path, name, required=REQUIRED, ragged="mark"), None
    if suffix in (".xlsx", ".xlsm"):
        frame, sheet = read_xlsx_records(path, name, sheet=SHEET, required=REQUIRED)
        return frame, sheet
    raise InputError(name, f"expected a .csv or .xlsx file (the template in {paths.TEMPLATES_DIR.relative_to(paths.PROJECT_ROOT)}), not {suffix or 'no extension'}")


# The levels a registry row may name, in order of preference: a town's project
# means the Gemeinde; "Deutschland" or "bundesweit" means Germany as a whole (DG);
# a name only a Gemeindeverband carries (or one named with its word, "Amt Büchen") the Verband.
IMPORT_LEVELS = ("gemeinde", "kreis", "land", "bund", "verband")
# Germany's extent with a margin (WGS 84): a point outside is a typo or swapped.
GERMANY_BOX = {"lat": (47.2, 55.1), "lon": (5.8, 15.1)}


def parse_point(lat_text: str, lon_text: str) -> tuple[tuple[float, float] | None, str | None]:
    """``lat``/``lon`` cells → (lat, lon) in WGS 84 decimal degrees, or the problem.
    A decimal comma is accepted ("50,9375"); degrees-minutes or a point outside
    Germany are refused."""
    if not lat_text or not lon_text:
        return None, "lat and lon go together: only one of them is filled in"
    values = []
    for text in (lat_text, lon_text):
        text = text.replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"-?\d{1,3}(\.\d+)?", text):
            return None, "not a decimal degree (WGS 84, e.g. 50.9375 or 50,9375; no ° ' \" or N/E)"
        values.append(float(text))
    lat, lon = values
    (la0, la1), (lo0, lo1) = GERMANY_BOX["lat"], GERMANY_BOX["lon"]
    if la0 <= lat <= la1 and lo0 <= lon <= lo1:
        return (lat, lon), None
    if la0 <= lon <= la1 and lo0 <= lat <= lo1:
        return None, "lat and lon look swapped (lat is 47–55 in Germany, lon 6–15)"
    return None, "the point lies outside Germany"


def check_point(resolver: Resolver, point: tuple[float, float], regions: list) -> str | None:
    """A warning when the point lies outside every region the row is linked to
    (beyond ``POINT_TOLERANCE_KM``), None when it lies in one or no shape is known."""
    distances = [d for c in regions if (d := resolver.distance_km(c.region_id, *point)) is not None]
    if not distances or min(distances) <= POINT_TOLERANCE_KM:
        return None
    names = "; ".join(str(c) for c in regions)
    return (f"the point ({point[0]}, {point[1]}) lies {min(distances):.0f} km outside the named region ({names}): "
            "check the coordinates or the region (row loaded as named)")


def _cell(row: dict, column: str) -> str:
    value = row.get(column)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _split(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]


def _neutralised(value: str) -> str:
    """A formula-like value as stored in the quarantine: with a leading apostrophe,
    so that a spreadsheet opening an export shows it as text."""
    return "'" + value


def validate_rows(records: pd.DataFrame, registry_id: str, file: str, sheet: str | None, resolver: Resolver,
                  mapping: SectorMapping, licence: str | None) -> RegistryBuild:
    """Check every row of a template against the rules; the valid ones become projects."""
    build = RegistryBuild(registry_id)
    rows = records.to_dict("records")
    build.rows_read = len(rows)
    lines_of: dict[str, list[int]] = {}
    for row in rows:
        pid = _cell(row, "project_id")
        if pid:
            lines_of.setdefault(pid, []).append(int(row[LINE]))
    signature = {int(r[LINE]): tuple(_cell(r, c) for c in COLUMN_NAMES) for r in rows}
    file_of: dict[str, tuple[str, int | None]] = {}

    def reject(line: int, column: str | None, value: object, reason: str, target: str = "projects") -> None:
        build.reject(file=file, sheet=sheet, line=line, column=column, value=value, reason=reason, target_table=target)

    for row in rows:
        line = int(row[LINE])
        problems: list[tuple[str | None, object, str]] = []
        if row.get(PROBLEM):
            problems.append((None, None, f"row cannot be read: {row[PROBLEM]}"))
        for column in COLUMN_NAMES:
            text = str(row.get(column) or "")
            if text[:1] in FORMULA_PREFIXES:
                problems.append((column, _neutralised(text), "text starts with " + repr(text[:1]) + " and looks like a spreadsheet formula "
                                 "(possible formula injection): row not loaded; remove the leading character"))
        pid = _cell(row, "project_id")
        title = _cell(row, "title")
        if not pid:
            problems.append(("project_id", None, "project_id is empty: row not loaded"))
        elif len(lines_of[pid]) > 1:
            lines = lines_of[pid]
            same = len({signature[n] for n in lines}) == 1
            if not same:
                problems.append(("project_id", pid, f"duplicate project_id on lines {', '.join(map(str, lines))} with different content: none of them loaded; keep one row per project"))
            elif line != lines[0]:
                problems.append(("project_id", pid, f"duplicate project_id: exact copy of line {lines[0]}, not loaded again"))
        if not title:
            problems.append(("title", None, "title is empty: row not loaded"))
        years = {}
        for column in ("start_year", "end_year"):
            text = _cell(row, column)
            if not text:
                years[column] = None
            elif not re.fullmatch(r"\d{4}", text):
                problems.append((column, text, "not a year (four digits): row not loaded"))
            elif not YEAR_MIN <= int(text) <= YEAR_MAX:
                problems.append((column, text, f"year out of range {YEAR_MIN}–{YEAR_MAX}: row not loaded"))
            else:
                years[column] = int(text)
        if years.get("start_year") and years.get("end_year") and years["end_year"] < years["start_year"]:
            problems.append(("end_year", _cell(row, "end_year"), "end_year before start_year: row not loaded"))
        amounts = {}
        for column in ("funding_federal_eur", "funding_total_eur"):
            text = _cell(row, column).replace(" ", "")
            if not text:
                amounts[column] = None
            elif _AMOUNT.match(text):
                amounts[column] = float(text.replace(",", "."))
            elif text[:1] not in FORMULA_PREFIXES:
                problems.append((column, text, "amount is not a number in EUR (digits, optional decimal . or , with up to 2 places, "
                                 "no thousands separators, no units such as 'Mio'): row not loaded"))

        land_id = None
        land_text = _cell(row, "land")
        if land_text and land_text[:1] not in FORMULA_PREFIXES:
            try:
                land_id = resolver.resolve(land_text, Context(registry=registry_id, levels=("land",))).regions[0].region_id
            except ResolutionError as exc:
                reject(line, "land", land_text, f"Land not recognised, ignored as context: {exc.message}", target="project_regions")

        point = None
        lat_text, lon_text = _cell(row, "lat"), _cell(row, "lon")
        if (lat_text or lon_text) and lat_text[:1] not in FORMULA_PREFIXES and lon_text[:1] not in FORMULA_PREFIXES:
            point, problem = parse_point(lat_text, lon_text)
            if problem:
                reject(line, "lon" if lat_text and not lon_text else "lat", f"{lat_text}, {lon_text}", f"{problem}: coordinates ignored", target="project_regions")

        regions_text = _cell(row, "regions")
        resolved = []
        if not regions_text:
            problems.append(("regions", None, "regions is empty: every project needs at least one region"))
        elif regions_text[:1] not in FORMULA_PREFIXES:
            context = Context(registry=registry_id, levels=IMPORT_LEVELS, land_id=land_id)
            if point:
                context = with_point(context, *point)
            failed = []
            for i, name in enumerate(_split(regions_text)):
                try:
                    resolved.append((name, "lead" if i == 0 else "partner", resolver.resolve(name, context)))
                except ResolutionError as exc:
                    failed.append((name, exc))
            failed = _by_partners_land(resolver, context, resolved, failed, lead=_split(regions_text)[0])
            if not resolved:
                names = "; ".join(f"{n!r}: {e.message}" for n, e in failed)
                problems.append(("regions", regions_text, f"no region resolves ({names}): row not loaded"))
            else:
                for name, exc in failed:
                    reject(line, "regions", name, f"region not linked: {exc.message}", target="project_regions")
                if point:
                    warning = check_point(resolver, point, [c for _, _, res in resolved for c in res.regions])
                    if warning:
                        reject(line, "lat", f"{lat_text}, {lon_text}", warning, target="project_regions")

        if problems or not pid:
            for column, value, reason in problems:
                reject(line, column, value, reason)
            continue

        file_of[pid] = (file, line)
        for name, role, res in resolved:
            build.link_region(pid, res.regions, role=role, name=name, method=res.method)
        themes = _split(_cell(row, "themes"))
        sectors, unknown, _ = classify_themes(themes, mapping)
        build.link_sectors(pid, sectors, "theme")
        for theme in unknown:
            reject(line, "themes", theme, "theme not in sector mapping", target="project_sectors")
        declared: dict[str, list[str]] = {}
        for text in _split(_cell(row, "sectors")):
            sector = find_sector(text)
            if sector is None:
                reject(line, "sectors", text, "unknown sector: use an id, German or English name of the table sectors", target="project_sectors")
            else:
                declared.setdefault(sector, []).append(text)
        build.unlink_sectors(pid, declared)
        build.link_sectors(pid, declared, "declared")
        urls = []
        for text in _split(_cell(row, "url")):
            found = extract_urls(text)
            if found and found[0] == text:
                urls.append(text)
            else:
                reject(line, "url", text, "not a web address starting with http:// or https://: left out")
        status = _cell(row, "status") or None
        out = empty_project_row(registry_id, pid, registry_id, file)
        out.update(
            title=title,
            description=_cell(row, "description") or None,
            programme=_cell(row, "programme") or None,
            category=_cell(row, "category") or None,
            status=status,
            status_group=status_group(status),
            year=years.get("start_year"),
            start_year=years.get("start_year"),
            end_year=years.get("end_year"),
            funding_federal_eur=amounts.get("funding_federal_eur"),
            funding_total_eur=amounts.get("funding_total_eur"),
            funding_note=_cell(row, "funding_note") or None,
            themes="; ".join(themes) or None,
            urls="\n".join(urls) or None,
            location_published=regions_text,
            licence=_cell(row, "licence") or licence,
            line=line,
        )
        build.projects.append(out)
    build.check_complete(file_of)
    return build


def check_registry(file: Path, registry_id: str, resolver: Resolver, mapping: SectorMapping, licence: str | None = None) -> ImportResult:
    """Read a filled-in template and check every row (``validate_rows``): the
    one check of a registry, for an import and for the build step that loads
    the kept ones. Raises ``InputError`` for a file that cannot be read and
    ``NoValidRows`` for one without a row that can be loaded."""
    records, sheet = read_template(file)
    build = validate_rows(records, registry_id, file.name, sheet, resolver, mapping, licence)
    ignored = [c for c in records.columns if c not in COLUMN_NAMES and c not in (LINE, PROBLEM) and c]
    result = ImportResult(registry_id, file.name, build, ignored, written=False)
    if not build.projects:
        # Never replace a registry (in the warehouse or the store) by an empty one:
        # a header-only file or one whose every row is refused is an error.
        raise NoValidRows(file.name, registry_id, result.messages, build.rows_read)
    return result


def registry_tables(result: ImportResult, meta: dict) -> dict[str, pd.DataFrame]:
    """The rows of one checked registry for the project tables, with its row in
    ``registries`` (title, publisher, licence … as given on import; the date of the import)."""
    licence = meta.get("licence") or "not stated"
    publisher = meta.get("publisher") or result.registry_id
    row = registry_row(result.build, title=meta.get("title") or f"Register {result.registry_id}", publisher=publisher,
                       url=meta.get("url"), licence=licence, attribution=meta.get("attribution") or publisher,
                       date=str(meta.get("imported_at") or dt.date.today().isoformat())[:10], origin="import", files=[result.file])
    return {**result.build.frames(), "registries": pd.DataFrame([row], columns=TABLES_BY_NAME["registries"].column_names)}


def _read_regions(version: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The regions and their shapes (to check a row's coordinates) of one warehouse version."""
    manifest = read_manifest(version)
    if manifest is None:
        raise InputError(str(version), "no warehouse here: run `python -m etl build` first (or pass --warehouse)")
    if "regions" not in manifest.get("tables", []):
        raise InputError(str(version), "the warehouse has no regions table: run `python -m etl build` first")
    regions = pd.read_parquet(paths.table_path(version, "regions"))
    shapes = None
    if "region_shapes" in manifest["tables"]:
        import geopandas as gpd

        shapes = gpd.read_parquet(paths.table_path(version, "region_shapes"), filters=[("resolution", "=", "full")])
    return regions, shapes


def import_registry(file: Path, registry_id: str, *, warehouse: Path | None = None, title: str | None = None,
                    publisher: str | None = None, licence: str | None = None, attribution: str | None = None,
                    url: str | None = None, dry_run: bool = False, log=None) -> ImportResult:
    """Validate a filled-in template, keep it in the registry store and rebuild
    the warehouse's step ``registries`` (``etl.build.build(only="registries")``):
    only that step's parts of the project tables and the quarantine are
    rewritten, everything else is carried over. A file that cannot be read or
    has no valid row changes nothing; a rebuild that fails puts the kept copy of
    an earlier import of this id back, and leaves the warehouse as it was."""
    if not _ID.match(registry_id):
        raise InputError(file.name, f"--id {registry_id!r}: use 2–40 lower-case letters, digits, '-' or '_' (e.g. 'verein-xy')")
    if registry_id in SOURCES_BY_ID:
        raise InputError(file.name, f"--id {registry_id!r} is a source of the kit; choose another id for your registry")
    warehouse = locate_warehouse(warehouse or paths.warehouse_dir())
    regions, shapes = _read_regions(warehouse.resolve())
    resolver = Resolver.from_files(regions, shapes=shapes)
    result = check_registry(file, registry_id, resolver, SectorMapping.load(), licence)
    if dry_run:
        return result
    meta = {"title": title, "publisher": publisher, "licence": licence, "attribution": attribution, "url": url,
            "imported_at": now_iso(), "sha256": sha256_file(file)}
    from etl.build import build

    with _kept(file, registry_id, meta):
        try:
            build(out=warehouse, only=REGISTRIES_STEP, log=log or (lambda message: None))
        except SystemExit as exc:  # e.g. a warehouse of an earlier layout: refused, nothing written
            raise InputError(str(warehouse), str(exc)) from None
    result.written = True
    return result


STORE_META = "import.json"
# The build step that loads the kept registries (etl.transform.registries).
REGISTRIES_STEP = "registries"


@contextlib.contextmanager
def _kept(file: Path, registry_id: str, meta: dict):
    """The file and its metadata as ``<store>/<id>/`` while the block runs
    (replacing an earlier import of that id); if the block fails, the earlier
    copy is put back (or the new one removed), so the store stays as it was."""
    store = paths.registries_dir()
    target = store / registry_id
    staging, previous = store / f".{registry_id}.new", store / f".{registry_id}.previous"
    if previous.exists() and not target.exists():
        previous.rename(target)  # an import killed between its renames
    for path in (staging, previous):
        shutil.rmtree(path, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(file, staging / file.name)
    meta = {"file": file.name, **{k: v for k, v in meta.items() if v}}
    (staging / STORE_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    try:
        yield target
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        if previous.exists():
            previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def kept_registries(store: Path | None = None) -> list[tuple[str, Path, dict]]:
    """(id, file, metadata) of every registry in the store, by id (not the
    ``.<id>.new``/``.previous`` folders of an import in progress)."""
    store = store or paths.registries_dir()
    out = []
    for meta_file in sorted(store.glob(f"*/{STORE_META}")):
        if meta_file.parent.name.startswith("."):
            continue
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        out.append((meta_file.parent.name, meta_file.parent / meta.pop("file"), meta))
    return out


def write_template_xlsx(csv_path: Path = paths.TEMPLATES_DIR / "registry_template.csv",
                        xlsx_path: Path = paths.TEMPLATES_DIR / "registry_template.xlsx") -> Path:
    """The XLSX template from the CSV template (same rows) with a sheet documenting the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    records = read_csv_records(csv_path, csv_path.name, required=COLUMN_NAMES)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    header = [c for c in records.columns if c not in (LINE, PROBLEM)]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in records[header].itertuples(index=False):
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"  # text: keeps keys like 09763000 and years as written
    doc = book.create_sheet("columns")
    doc.append(["column", "required", "Beschreibung", "description"])
    for cell in doc[1]:
        cell.font = Font(bold=True)
    for col in TEMPLATE_COLUMNS:
        doc.append([col.name, "yes" if col.required else "no", col.description_de, col.description_en])
    book.save(xlsx_path)
    return xlsx_path


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        result = import_registry(Path(args.file), args.id, warehouse=args.warehouse, title=args.title, publisher=args.publisher,
                                 licence=args.licence, attribution=args.attribution, url=args.url, dry_run=args.dry_run)
    except NoValidRows as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        raise
    for message in result.messages:
        print(message, file=sys.stderr)
    if result.ignored_columns:
        print(f"{result.file}: columns not in the template, ignored: {result.ignored_columns}", file=sys.stderr)
    summary = result.build.summary()
    action = "checked (dry run, nothing written)" if args.dry_run else f"imported into {(args.warehouse or paths.warehouse_dir())}"
    print(json.dumps({"registry_id": result.registry_id, "status": action, **summary}, ensure_ascii=False, indent=2))
    return 1 if summary["quarantine_rows"] else 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "import-registry",
        help="validate a registry filled into the template (CSV/XLSX) and add it to the warehouse",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("file", help="the filled-in template (.csv UTF-8 or .xlsx, see data/templates/README.md)")
    p.add_argument("--id", required=True, help="id of your registry, e.g. verein-xy (importing the same id again replaces it)")
    p.add_argument("--title", help="title of the registry")
    p.add_argument("--publisher", help="who publishes it")
    p.add_argument("--licence", help="licence of the registry, e.g. 'CC BY 4.0'")
    p.add_argument("--attribution", help="attribution text to show with the data")
    p.add_argument("--url", help="where the registry is published")
    p.add_argument("--warehouse", type=Path, help="warehouse directory (default: DSR_WAREHOUSE or data/warehouse/)")
    p.add_argument("--dry-run", action="store_true", help="only check the file and print the messages")
    p.set_defaults(func=_cmd_import)


def _by_partners_land(resolver: Resolver, context: Context, resolved: list, failed: list, lead: str) -> list:
    """Namesakes of one cell decided by the Land of the cell's other regions:
    in "Nürnberg; Fürth; Erlangen" the Fürth meant is the Bavarian one, as
    both others are in Bayern. Only when the row names no Land itself, every
    other region it links lies in one Land and exactly one namesake is there
    (the resolver's own rule for a Land as context). ``resolved`` gets the
    regions so found; the names still failing are returned."""
    lands = {r.region_id[:2] for _, _, res in resolved for r in res.regions if r.region_id != GERMANY_ID}
    if context.land_id or len(lands) != 1 or not any(isinstance(exc, AmbiguousName) for _, exc in failed):
        return failed
    land = replace(context, land_id=lands.pop())
    still = []
    for name, exc in failed:
        try:
            found = resolver.resolve(name, land) if isinstance(exc, AmbiguousName) else None
        except ResolutionError:
            found = None
        if found is None:
            still.append((name, exc))
        else:
            resolved.append((name, "lead" if name == lead else "partner", replace(found, note="; ".join(filter(None, [found.note, "the Land of the row's other regions"])))))
    return still

