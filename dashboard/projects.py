"""Projects of the registries for the pages Sektoren and Projekte (and the map's
project filters).

In: the warehouse tables ``projects``, ``project_regions``, ``project_sectors``,
``sectors``, ``registries`` (etl/catalogue/tables_projects.py; a project is
identified by ``registry_id`` and ``project_id`` together), ``regions`` and the
latest observations of a few key indicators.
Out: pure functions — one long table of every project's values on every
dimension (sector, registry, round, category, status, Land, region type,
urban–rural type), filters, an umlaut-tolerant full-text search, cross tables
of project counts and *reported* funding with how many projects report it, the
parts of a project view (safe links, funding lines, map extent, indicator
profile beside national and peer medians) — and, at the end, the cached
readers and the few Streamlit helpers the two pages share.

Reported funding: the registries give funding for some projects only (MPSC:
what press releases and notices say, not award notices; codefor: none). A sum
is therefore always shown with "n of N projects report one" and never as the
funding of all projects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pandas as pd

from dashboard import fmt, i18n
from dashboard.i18n import md_escape, pick, t
from dashboard.peers import peer_group
from dashboard.text import cell_text, fold


KEY = ["registry_id", "project_id"]
NONE = "_none"  # a project without a value on a dimension (no round, no sector, no region …)
DIMENSIONS = ("sector", "registry", "round", "category", "status", "land", "region_type", "urban_rural")
# A project has one registry, round, category and status, but may have several
# sectors and regions: on these it is counted once per value.
MULTI_VALUED = frozenset({"sector", "land", "region_type", "urban_rural"})
STATUS_GROUPS = ("active", "finished", "stopped", "unknown")  # tables_projects.py: projects.status_group
FUNDING = {"federal": "funding_federal_eur", "total": "funding_total_eur"}
MEASURES = ("count", "federal", "total")


# --------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------


def project_key(registry_id: object, project_id: object) -> str:
    """``registry_id:project_id`` — the URL form of the composite primary key.
    Registry ids never contain a colon (etl/registry_import.py: [a-z0-9_-])."""
    return f"{registry_id}:{project_id}"


def parse_project_key(text: object) -> tuple[str, str] | None:
    if not isinstance(text, str) or ":" not in text:
        return None
    registry_id, project_id = text.split(":", 1)
    if not registry_id or not project_id:
        return None
    return registry_id, project_id


def key_series(frame: pd.DataFrame) -> pd.Series:
    """The ``registry_id:project_id`` of every row."""
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    return frame["registry_id"].astype(str) + ":" + frame["project_id"].astype(str)


def encode_option(value: str) -> str:
    """A value that survives the URL's comma-separated lists (state.Param kind list)."""
    return str(value).replace("%", "%25").replace(",", "%2C")


def decode_option(value: str) -> str:
    return str(value).replace("%2C", ",").replace("%25", "%")


# --------------------------------------------------------------------------
# Dimensions: one long table (key, dim, value)
# --------------------------------------------------------------------------


def linked_regions(links: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """project_regions with the region's name, type (BEZ), Land and the
    urban–rural type of its Kreis (the Kreis' own for a Kreis, the containing
    Kreis' for a Gemeinde; none for a Land or Regierungsbezirk)."""
    reg = regions.reset_index(drop=True)
    kreis_urt = reg[reg["level"] == "kreis"].set_index("region_id")["urban_rural_type"] if "urban_rural_type" in reg else pd.Series(dtype="Int64")
    out = links.merge(reg[["region_id", "name", "type", "land_id", "kreis_id"]], on="region_id", how="left")
    kreis = out["kreis_id"].where(out["kreis_id"].notna(), None)
    out["urban_rural_type"] = kreis.map(kreis_urt) if len(out) else pd.Series(dtype="Int64")
    out["land_id"] = out["land_id"].fillna(out["region_id"].str[:2])
    return out


def assignments(projects: pd.DataFrame, links: pd.DataFrame, project_sectors: pd.DataFrame) -> pd.DataFrame:
    """Every project's value on every dimension: columns registry_id,
    project_id, dim, value (string; NONE where the project has none).

    ``links`` is the output of ``linked_regions``. One row per distinct
    (project, dim, value).
    """
    base = projects[KEY].copy()
    parts = []

    def add(dim: str, frame: pd.DataFrame, column: str) -> None:
        values = frame[column].astype("string").fillna(NONE).replace("", NONE)
        parts.append(pd.DataFrame({"registry_id": frame["registry_id"].to_numpy(), "project_id": frame["project_id"].to_numpy(), "dim": dim, "value": values.to_numpy(dtype=object)}))

    add("registry", projects, "registry_id")
    add("round", projects, "round")
    add("category", projects, "category")
    add("status", projects, "status_group")
    for dim, frame, column in (
        ("sector", project_sectors, "sector_id"),
        ("land", links, "land_id"),
        ("region_type", links, "type"),
        ("urban_rural", links.assign(urt=links["urban_rural_type"].astype("Int64").astype("string")) if len(links) else links.assign(urt=pd.Series(dtype="string")), "urt"),
    ):
        own = frame[KEY + [column]].merge(base, on=KEY, how="inner") if len(frame) else frame[KEY + [column]]
        # A project without any sector (or region) still counts, as "none".
        missing = base.merge(own[KEY].drop_duplicates(), on=KEY, how="left", indicator=True)
        missing = missing[missing["_merge"] == "left_only"][KEY].assign(**{column: None})
        add(dim, pd.concat([own, missing], ignore_index=True), column)
    out = pd.concat(parts, ignore_index=True)
    out = out[out["project_id"].notna()]
    return out.drop_duplicates().reset_index(drop=True)


def dimension_values(assign: pd.DataFrame, dim: str) -> list[str]:
    """The values a dimension takes, NONE last."""
    values = sorted(v for v in assign.loc[assign["dim"] == dim, "value"].unique() if v != NONE)
    if (assign.loc[assign["dim"] == dim, "value"] == NONE).any():
        values.append(NONE)
    return values


# --------------------------------------------------------------------------
# Filters and search
# --------------------------------------------------------------------------


def matching_keys(assign: pd.DataFrame, selection: dict[str, Sequence[str]]) -> pd.MultiIndex:
    """Keys of projects that have, on every filtered dimension, at least one of the selected values."""
    keys = pd.MultiIndex.from_frame(assign[KEY].drop_duplicates())
    for dim, wanted in selection.items():
        if not wanted:
            continue
        hit = assign[(assign["dim"] == dim) & assign["value"].isin(list(wanted))]
        keys = keys.intersection(pd.MultiIndex.from_frame(hit[KEY].drop_duplicates()))
    return keys


def restrict(assign: pd.DataFrame, selection: dict[str, Sequence[str]], keys: pd.MultiIndex | None = None) -> pd.DataFrame:
    """The assignments of the selected projects; on a filtered dimension only
    the selected values remain (a project in Bayern and Hessen, filtered to
    Bayern, counts for Bayern only)."""
    keys = matching_keys(assign, selection) if keys is None else keys
    idx = pd.MultiIndex.from_frame(assign[KEY])
    out = assign[idx.isin(keys)]
    for dim, wanted in selection.items():
        if wanted:
            out = out[(out["dim"] != dim) | out["value"].isin(list(wanted))]
    return out.reset_index(drop=True)


def select_projects(projects: pd.DataFrame, keys: pd.MultiIndex) -> pd.DataFrame:
    return projects[pd.MultiIndex.from_frame(projects[KEY]).isin(keys)]


def year_mask(projects: pd.DataFrame, years: tuple[int, int] | None, bounds: tuple[int, int] | None) -> pd.Series:
    """Projects whose year lies in the range. At the full range projects
    without a year are kept; a narrower range leaves them out."""
    if years is None or bounds is None or tuple(years) == tuple(bounds):
        return pd.Series(True, index=projects.index)
    year = projects["year"].astype("Float64")
    return ((year >= years[0]) & (year <= years[1])).fillna(False).astype(bool)


def year_bounds(projects: pd.DataFrame) -> tuple[int, int] | None:
    years = projects["year"].dropna()
    if years.empty:
        return None
    return int(years.min()), int(years.max())


def parse_year_range(text: object, bounds: tuple[int, int]) -> tuple[int, int]:
    """``"2014-2021"`` (URL form) → (2014, 2021), clamped to the bounds; the full range otherwise."""
    match = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", str(text or ""))
    if not match:
        return bounds
    lo, hi = sorted((int(match.group(1)), int(match.group(2))))
    lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return (lo, hi) if lo <= hi else bounds


def dump_year_range(years: Sequence[int], bounds: tuple[int, int]) -> str:
    return "" if tuple(years) == tuple(bounds) else f"{int(years[0])}-{int(years[1])}"


def search_haystack(projects: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Per project the searchable text (title, description, themes, where the
    registry locates it, names and keys of its regions) in both folded forms."""
    names = (
        links.assign(_t=links["name"].fillna("").astype(str) + " " + links["region_id"].astype(str))
        .groupby(KEY)["_t"].agg(" ".join)
        if len(links) else pd.Series(dtype=object)
    )
    frame = projects[KEY].copy()
    texts = []
    for row, region_text in zip(projects.itertuples(index=False), [names.get((r, p), "") for r, p in zip(projects["registry_id"], projects["project_id"])]):
        parts = [getattr(row, c, None) for c in ("title", "description", "themes", "location_published")]
        texts.append(" ".join(str(p) for p in parts if isinstance(p, str)) + " " + region_text)
    frame["ae"] = [f" {fold(x, 'ae')} " for x in texts]
    frame["a"] = [f" {fold(x, 'a')} " for x in texts]
    return frame


def search_mask(haystack: pd.DataFrame, query: str) -> pd.Series:
    """True where every word of the query occurs (umlaut-tolerant: "München",
    "Muenchen" and "Munchen" find the same)."""
    words_ae = fold(query or "", "ae").split()
    words_a = fold(query or "", "a").split()
    mask = pd.Series(True, index=haystack.index)
    for w_ae, w_a in zip(words_ae, words_a):
        mask &= haystack["ae"].str.contains(w_ae, regex=False) | haystack["a"].str.contains(w_a, regex=False)
    return mask


# --------------------------------------------------------------------------
# Aggregations: counts and reported funding
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A sum of reported amounts and how many projects report one."""

    n_projects: int
    n_reporting: int
    amount_eur: float  # sum over the reporting projects (0.0 when none reports)

    @property
    def complete(self) -> bool:
        return self.n_projects > 0 and self.n_reporting == self.n_projects


def reported(projects: pd.DataFrame, column: str) -> Reported:
    values = pd.to_numeric(projects[column], errors="coerce")
    n = int(values.notna().sum())
    return Reported(len(projects), n, float(values.sum()) if n else 0.0)


def crosstab(assign: pd.DataFrame, projects: pd.DataFrame, dim_a: str, dim_b: str | None) -> pd.DataFrame:
    """Projects per (value of dim_a, value of dim_b) with reported funding.

    Columns a, b, n_projects, federal_n, federal_eur, total_n, total_eur: the
    number of projects in the cell, how many of them report a federal grant /
    total volume, and the sum of what they report. A project counts once per
    cell; with a multi-valued dimension (sector, Land…) it counts in each of
    its cells, so the cells add up to more than the projects.
    """
    cols = ["a", "b", "n_projects", "federal_n", "federal_eur", "total_n", "total_eur"]
    a = assign.loc[assign["dim"] == dim_a, [*KEY, "value"]].rename(columns={"value": "a"})
    if dim_b:
        b = assign.loc[assign["dim"] == dim_b, [*KEY, "value"]].rename(columns={"value": "b"})
        pairs = a.merge(b, on=KEY)
    else:
        pairs = a.assign(b="")
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    money = projects[KEY].assign(**{c: pd.to_numeric(projects[c], errors="coerce").astype("float64") for c in FUNDING.values()})
    pairs = pairs.drop_duplicates().merge(money, on=KEY, how="left")
    out = pairs.groupby(["a", "b"], sort=False).agg(
        n_projects=("project_id", "size"),
        federal_n=("funding_federal_eur", "count"),
        federal_eur=("funding_federal_eur", "sum"),
        total_n=("funding_total_eur", "count"),
        total_eur=("funding_total_eur", "sum"),
    ).reset_index()
    return out[cols]


def measure_values(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The cross table with value (what the chart shows: projects, or the
    reported sum in million EUR), n (projects reporting) and N (projects)."""
    out = table.copy()
    out["N"] = out["n_projects"]
    if measure == "count":
        out["value"] = out["n_projects"].astype(float)
        out["n"] = out["n_projects"]
    else:
        out["value"] = out[f"{measure}_eur"].astype(float) / 1e6
        out["n"] = out[f"{measure}_n"]
    return out


def order_a(table: pd.DataFrame, order: Sequence[str]) -> list[str]:
    """The a-values of the table in display order (taxonomy order, then others, NONE last)."""
    present = set(table["a"])
    known = [x for x in order if x in present]
    rest = sorted(x for x in present if x not in set(order) and x != NONE)
    return known + rest + ([NONE] if NONE in present else [])


def cell_id(a: str, dim_b: str | None = None, b: str | None = None) -> str:
    """URL form of a chart cell: ``sector`` or ``sector|dim|value``."""
    return a if not dim_b or b is None else f"{a}|{dim_b}|{b}"


def parse_cell(text: object) -> tuple[str, str | None, str | None] | None:
    if not isinstance(text, str) or not text:
        return None
    parts = text.split("|", 2)
    if len(parts) == 1:
        return parts[0], None, None
    if len(parts) == 3 and parts[1] in DIMENSIONS:
        return parts[0], parts[1], parts[2]
    return None


def cell_keys(assign: pd.DataFrame, dim_a: str, cell: tuple[str, str | None, str | None]) -> pd.MultiIndex:
    a, dim_b, b = cell
    selection = {dim_a: [a]}
    if dim_b and b is not None:
        selection[dim_b] = [b]
    return matching_keys(assign, selection)


def selected_cell(points: Sequence[dict]) -> str | None:
    """The cell a click on the stacked bars or the treemap selected.

    Bars carry ``customdata`` = [cell id]; treemap boxes have ``id`` = cell id
    (a sector box "sector", a leaf "sector|dim|value"). Streamlit reports
    bar points with their customdata and treemap clicks with id/label/parent.
    """
    for point in points or ():
        custom = point.get("customdata")
        if isinstance(custom, (list, tuple)) and custom and isinstance(custom[0], str) and parse_cell(custom[0]):
            return custom[0]
        if isinstance(custom, str) and parse_cell(custom):
            return custom
        ident = point.get("id")
        if isinstance(ident, str) and ident and parse_cell(ident):
            return ident
    return None


# --------------------------------------------------------------------------
# Labels (current language)
# --------------------------------------------------------------------------


# The registries publish rounds and categories in German (MPSC: "Staffel 2
# (2020)", "Großstädte"); the English interface shows them in English. Values
# not listed here are shown as published.
_ROUND = re.compile(r"^Staffel (\d+) \((\d{4})\)$")
CATEGORIES_EN = {
    "Großstädte": "Large cities",
    "Mittelstädte": "Medium-sized towns",
    "Kleinstädte und Landgemeinden": "Small towns and rural municipalities",
    "Interkommunale Kooperationen und Landkreise": "Inter-municipal cooperations and districts",
}


def published_text(value: object, lang: str) -> str:
    """A registry's round or category in the interface's language ('' when missing)."""
    text = cell_text(value)
    if lang != "en" or not text:
        return text
    match = _ROUND.match(text)
    if match:
        return f"Round {match.group(1)} ({match.group(2)})"
    return CATEGORIES_EN.get(text, text)


def value_labels(dim: str, values: Iterable[str], sectors: pd.DataFrame | None, registries: pd.DataFrame | None, regions: pd.DataFrame) -> dict[str, str]:
    """Display labels of a dimension's values."""
    sec = {r.sector_id: pick(r.name_de, r.name_en) for r in sectors.itertuples()} if sectors is not None else {}
    reg = dict(zip(registries["registry_id"], registries["title"])) if registries is not None else {}
    names = regions["name"] if "name" in regions else pd.Series(dtype=object)
    out = {}
    for v in values:
        if v == NONE:
            out[v] = t("pj_none_sector") if dim == "sector" else (t("pj_none_region") if dim in ("land", "region_type", "urban_rural") else t("pj_none"))
        elif dim == "sector":
            out[v] = sec.get(v, v)
        elif dim == "registry":
            out[v] = short_registry_title(reg.get(v, v))
        elif dim == "land":
            out[v] = str(names.get(v, v))
        elif dim == "urban_rural":
            out[v] = t(f"pj_urt_{v}") if v in ("1", "2", "3") else v
        elif dim == "status":
            out[v] = t(f"pj_status_{v}") if v in STATUS_GROUPS else v
        elif dim in ("round", "category"):
            out[v] = published_text(v, i18n.lang())
        else:
            out[v] = str(v)
    return out


def short_registry_title(title: object) -> str:
    """The registry title up to its first bracket or colon (the legend is narrow)."""
    text = str(title)
    short = re.split(r"\s[\(:]|:\s", text, maxsplit=1)[0].strip()
    return short or text


def amount_text(eur: float | None) -> str:
    if eur is None or (isinstance(eur, float) and math.isnan(eur)):
        return t("pj_not_reported")
    return fmt.amount_eur(eur, i18n.lang())


def value_with_unit(value: float | None, decimals: int, unit: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return fmt.with_unit(value, decimals, unit, i18n.lang())


def reported_text(what: str, rep: Reported) -> str:
    """'Federal grant: 123.4 million EUR – reported by n of N projects …'."""
    if rep.n_reporting == 0:
        return t("pj_none_report", what=what, N=rep.n_projects)
    return t("pj_reported_sum", what=what, amount=amount_text(rep.amount_eur), n=rep.n_reporting, N=rep.n_projects)


# --------------------------------------------------------------------------
# The project table
# --------------------------------------------------------------------------


def project_table(
    projects: pd.DataFrame,
    assign: pd.DataFrame,
    links: pd.DataFrame,
    sectors: pd.DataFrame | None,
    registries: pd.DataFrame | None,
    regions: pd.DataFrame,
    view_url: Callable[[str], str] | None = None,
) -> pd.DataFrame:
    """One row per project with display columns (language-neutral names; the
    page renames them): key, title, registry, sectors, regions, lands, round,
    category, status, status_group, year, start/end year, funding, note,
    themes, urls, licence, attribution, view (URL of the project view)."""
    reg = registries.set_index("registry_id") if registries is not None else pd.DataFrame()
    sec_labels = value_labels("sector", dimension_values(assign, "sector"), sectors, registries, regions)
    sec = assign[(assign["dim"] == "sector") & (assign["value"] != NONE)]
    sector_order = {s: i for i, s in enumerate(sectors["sector_id"])} if sectors is not None else {}
    sec = sec.assign(_o=sec["value"].map(sector_order).fillna(99)).sort_values([*KEY, "_o"])
    sec_text = sec.assign(label=sec["value"].map(sec_labels)).groupby(KEY)["label"].agg("; ".join)
    link_sorted = links.assign(_l=(links["role"] != "lead").astype(int)).sort_values([*KEY, "_l", "region_id"]) if len(links) else links
    region_text = (
        link_sorted.assign(label=link_sorted["name"].fillna(link_sorted["region_id"]).astype(str) + " (" + link_sorted["region_id"].astype(str) + ")")
        .groupby(KEY)["label"].agg("; ".join)
        if len(links) else pd.Series(dtype=object)
    )
    land_names = regions["name"]
    land_text = (
        link_sorted.drop_duplicates([*KEY, "land_id"]).assign(label=lambda d: d["land_id"].map(land_names).fillna(d["land_id"]))
        .groupby(KEY)["label"].agg("; ".join)
        if len(links) else pd.Series(dtype=object)
    )
    rows = []
    for p in projects.itertuples(index=False):
        k = (p.registry_id, p.project_id)
        key = project_key(*k)
        r = reg.loc[p.registry_id] if p.registry_id in reg.index else None
        rows.append(
            {
                "key": key,
                "registry_id": p.registry_id,
                "project_id": p.project_id,
                "title": cell_text(p.title) or str(p.project_id),
                "registry": short_registry_title(r["title"]) if r is not None else str(p.registry_id),
                "sectors": sec_text.get(k, ""),
                "regions": region_text.get(k, ""),
                "lands": land_text.get(k, ""),
                "round": published_text(p.round, i18n.lang()),
                "category": published_text(p.category, i18n.lang()),
                "status": cell_text(p.status),
                "status_group": t(f"pj_status_{p.status_group}") if p.status_group in STATUS_GROUPS else cell_text(p.status_group),
                "year": _int(p.year),
                "start_year": _int(p.start_year),
                "end_year": _int(p.end_year),
                "funding_federal_eur": _float(p.funding_federal_eur),
                "funding_total_eur": _float(p.funding_total_eur),
                "funding_note": cell_text(p.funding_note),
                "themes": cell_text(p.themes),
                "urls": " ".join(safe_urls(p.urls)),
                "licence": cell_text(p.licence) or (cell_text(r["licence"]) if r is not None else ""),
                "attribution": cell_text(r["attribution"]) if r is not None else "",
                "view": view_url(key) if view_url else "",
            }
        )
    columns = ["key", "registry_id", "project_id", "title", "registry", "sectors", "regions", "lands", "round", "category", "status",
               "status_group", "year", "start_year", "end_year", "funding_federal_eur", "funding_total_eur", "funding_note", "themes",
               "urls", "licence", "attribution", "view"]
    out = pd.DataFrame(rows, columns=columns)
    for col in ("year", "start_year", "end_year"):
        out[col] = out[col].astype("Int64")
    return out


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --------------------------------------------------------------------------
# The project view
# --------------------------------------------------------------------------

_UNSAFE_IN_URL = re.compile(r"[\s()<>\[\]\"'`\\]")


def safe_urls(text: object) -> list[str]:
    """The http(s) URLs of a project's ``urls`` cell (one per line); anything
    else (javascript:, mailto:, text) is left out."""
    out = []
    for line in str(text).splitlines() if isinstance(text, str) else ():
        url = line.strip()
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc and not any(c.isspace() for c in url):
            out.append(url)
    return list(dict.fromkeys(out))


def markdown_link(url: str) -> str:
    """A Markdown link whose text is the escaped URL and whose target cannot
    break out of the link (brackets, quotes and spaces percent-encoded)."""
    target = _UNSAFE_IN_URL.sub(lambda m: quote(m.group(0), safe=""), url)
    return f"[{md_escape(url)}]({target})"


_TEXT_URL = re.compile(r"https?://[^\s<>\"'`\]\[]+")


def _trim_url(url: str) -> str:
    """Sentence punctuation after a URL is not part of it; a closing bracket only when unbalanced."""
    while url and url[-1] in ".,;:!?)":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def text_markdown(text: str) -> str:
    """Published text as safe Markdown: everything escaped, its http(s) URLs as
    explicit links (escaped text would otherwise be auto-linked with visible
    backslashes)."""
    out, last = [], 0
    for match in _TEXT_URL.finditer(text):
        url = _trim_url(match.group(0))
        end = match.start() + len(url)
        out.append(md_escape(text[last:match.start()]))
        out.append(markdown_link(url) if safe_urls(url) else md_escape(url))
        last = end
    out.append(md_escape(text[last:]))
    return "".join(out)


def years_text(row: pd.Series) -> str:
    """'2019; Laufzeit 2020–2026' style, from year and start/end year."""
    parts = []
    if pd.notna(row.get("year")):
        parts.append(str(int(row["year"])))
    start, end = row.get("start_year"), row.get("end_year")
    if pd.notna(start) and pd.notna(end):
        parts.append(t("pj_running", span=f"{int(start)}–{int(end)}"))
    elif pd.notna(start):
        parts.append(t("pj_running_from", year=str(int(start))))
    elif pd.notna(end):
        parts.append(t("pj_running_until", year=str(int(end))))
    return "; ".join(parts)


def feature_bounds(geometry: dict) -> tuple[float, float, float, float] | None:
    """(lon_min, lat_min, lon_max, lat_max) of a GeoJSON geometry."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords) -> None:
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        elif isinstance(coords, (list, tuple)):
            for c in coords:
                walk(c)

    walk(geometry.get("coordinates", []) if isinstance(geometry, dict) else [])
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def union_bounds(boxes: Iterable[tuple[float, float, float, float] | None]) -> tuple[float, float, float, float] | None:
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def pad_bounds(box: tuple[float, float, float, float], share: float = 0.25, minimum: float = 0.25) -> tuple[float, float, float, float]:
    """The box grown by ``share`` of its size on each side (at least ``minimum`` degrees)."""
    dx = max((box[2] - box[0]) * share, minimum)
    dy = max((box[3] - box[1]) * share, minimum * 0.6)
    return box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy


def fit_aspect(box: tuple[float, float, float, float], width_over_height: float) -> tuple[float, float, float, float]:
    """The box widened (or heightened) around its centre so that, in Web
    Mercator near its latitude, it has the figure's width:height ratio — the
    map then fills the figure instead of a narrow strip."""
    lat_mid = (box[1] + box[3]) / 2
    kx = max(math.cos(math.radians(lat_mid)), 0.1)
    width, height = (box[2] - box[0]) * kx, box[3] - box[1]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    if height <= 0 or width / height < width_over_height:
        half = max(height, 1e-6) * width_over_height / kx / 2
        return cx - half, box[1], cx + half, box[3]
    half = width / width_over_height / 2
    return box[0], cy - half, box[2], cy + half


def intersects(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


# The indicators of the profile, in this order; each where it exists at the region's level.
PROFILE_INDICATORS = ("bb_hh_all_50", "population", "gdp_per_inhabitant_eur", "ev_points_per_10k")
def profile_regions(region_ids: Sequence[str], regions: pd.DataFrame) -> list[str]:
    """The regions to profile: the project's, and for a Gemeinde that is a
    kreisfreie Stadt (its Kreis has only it: key = Kreis key + "000") also that
    Kreis — where GDP and the Kreis peers (other kreisfreie Städte) exist."""
    out: list[str] = []
    for rid in region_ids:
        out.append(rid)
        if rid not in regions.index or regions.at[rid, "level"] != "gemeinde":
            continue
        kreis = regions.at[rid, "kreis_id"]
        if isinstance(kreis, str) and kreis in regions.index and rid == f"{kreis}000" and regions.at[kreis, "peer_type"] == "Kreisfreie Stadt":
            out.append(kreis)
    return list(dict.fromkeys(out))


def indicator_profile(
    region_ids: Sequence[str],
    regions: pd.DataFrame,
    level_values: Callable[[str, str], pd.DataFrame],
    indicators: Sequence[str] = PROFILE_INDICATORS,
    min_peers: int | None = None,
) -> pd.DataFrame:
    """Each region's latest value of the key indicators beside the national
    median (all regions of its level) and the median of its peer group (the
    default group of ``dashboard.peers``, as on the Steckbrief).

    ``level_values(indicator_id, level)`` gives region_id, value, period,
    source_id of the latest period with data at that level (empty when the
    indicator does not exist there). Regions without a value get a row with
    value NaN; indicators that do not exist at the level get no row.
    """
    cols = ["region_id", "indicator_id", "period", "period_type", "value", "median_de", "n_de", "median_peer", "n_peer", "peer_group", "source_id"]
    rows = []
    for rid in region_ids:
        if rid not in regions.index:
            continue
        level = str(regions.at[rid, "level"])
        group = peer_group(regions, rid, min_peers=min_peers)
        peers = set(group.ids)
        for ind in indicators:
            vals = level_values(ind, level)
            if vals is None or vals.empty:
                continue
            vals = vals[vals["value"].notna()]
            own = vals[vals["region_id"] == rid]
            peer_vals = vals[vals["region_id"].isin(peers)]["value"]
            rows.append(
                {
                    "region_id": rid,
                    "indicator_id": ind,
                    "period": vals["period"].iloc[0] if len(vals) else None,
                    "period_type": str(vals["period_type"].iloc[0]) if len(vals) and "period_type" in vals else "year",
                    "value": float(own["value"].iloc[0]) if len(own) else math.nan,
                    "median_de": float(vals["value"].median()) if len(vals) else math.nan,
                    "n_de": int(len(vals)),
                    "median_peer": float(peer_vals.median()) if len(peer_vals) else math.nan,
                    "n_peer": int(len(peer_vals)),
                    "peer_group": group,
                    "source_id": str(vals["source_id"].iloc[0]) if len(vals) and "source_id" in vals else "",
                }
            )
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------
# Attribution of the registries
# --------------------------------------------------------------------------


def registry_source_line(registry_ids: Iterable[str], sources: pd.DataFrame, registries: pd.DataFrame | None) -> str:
    """The chart's source line for registries, like ``ui.source_line``: a kit
    registry from the catalogue's sources, an imported one from the registries table."""
    parts = []
    reg = registries.set_index("registry_id") if registries is not None else pd.DataFrame()
    for rid in dict.fromkeys(registry_ids):
        if rid in sources.index:
            s = sources.loc[rid]
            parts.append(f"{s['attribution']} ({t('reference_date')} {s['reference_date']}; {t('licence')}: {s['licence']})")
        elif rid in reg.index:
            r = reg.loc[rid]
            parts.append(f"{r['attribution']} ({t('reference_date')} {r['date']}; {t('licence')}: {r['licence']})")
    if not parts:
        return ""
    prefix = ("Quellen" if len(parts) > 1 else "Quelle") if i18n.lang() == "de" else ("Sources" if len(parts) > 1 else "Source")
    return f"{prefix}: " + " · ".join(parts)


def imported_registries(registry_ids: Iterable[str], sources: pd.DataFrame) -> list[str]:
    """Registries not in the catalogue (imported with ``python -m etl import-registry``)."""
    return [r for r in dict.fromkeys(registry_ids) if r not in sources.index]


def registry_caption(registry_id: str, registries: pd.DataFrame | None) -> str:
    """Markdown: title, publisher, attribution, licence, date and link of an (imported) registry."""
    if registries is None or registry_id not in set(registries["registry_id"]):
        return md_escape(registry_id)
    r = registries.set_index("registry_id").loc[registry_id]
    text = f"{md_escape(r['attribution'])} ({t('reference_date')} {md_escape(r['date'])}; {t('licence')}: {md_escape(r['licence'])})"
    urls = safe_urls(r["url"]) if isinstance(r["url"], str) else []
    return text + (f" — {markdown_link(urls[0])}" if urls else "")
