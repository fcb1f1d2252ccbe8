"""Project registries: MPSC and codefor.de → projects, regions, sectors, registries.

Fixtures (tests/data/registries/kit/, invented rows in the real formats):
- ``mpsc/…csv``: a cooperation "Kooperation A, B und C" with partners, a
  Landkreis, a bracket name, a decimal amount, an amount and a year in words, a
  quoted field spanning two lines, a ``;`` inside brackets in the themes, an
  ambiguous "Neustadt", a duplicate id, the bare "Mühlhausen", a theme the
  mapping does not know and one that is only a motto.
- ``codefor_okfde/``: labs with members/leads (invented names and addresses),
  a lab "Frankfurt" decided by its coordinates, "Ruhrgebiet", a "Freiburg" without
  coordinates; projects with collaborators and a misspelt ``colaborators``, a
  second top-level ``links:`` after a broken collaborators block, a ``mailto:``
  link and an address in the body, a draft, a YYYY-DD-MM prefix, a lab slug
  without lab file, no tags, an unknown tag, and ``_index.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from etl.catalogue.tables_projects import SECTOR_IDS
from etl.errors import InputError
from etl.extract.registries import read_csv_records, read_front_matter, strip_markdown
from etl.transform.projects import (
    LAB_FIELDS,
    PERSONAL_FIELDS,
    PROJECT_FIELDS,
    SectorMapping,
    build_projects,
    classify_themes,
    parse_date_prefix,
    read_labs,
    redact_emails,
    resolve_lab,
    split_themes,
    status_group,
)
from etl.resolver import Resolver
from tests.conftest import make_context

FIXTURE_KIT = Path(__file__).parent / "data" / "registries" / "kit"
MPSC_FILE = "mpsc/modellprojekte_smart_cities_2019-2021.csv"
# Invented personal data in the fixture files; none of it may reach any output.
PERSONAL_STRINGS = ("Erika", "Mustermann", "Max Muster", "erika-private", "maxmuster-private", "erika.mustermann@example.org")


@pytest.fixture(scope="module")
def fixture_build(kit_regions):
    ctx = make_context(FIXTURE_KIT, kit_regions)
    return build_projects(ctx), ctx


@pytest.fixture(scope="module")
def kit_build(kit_dir, kit_regions):
    ctx = make_context(kit_dir, kit_regions)
    return build_projects(ctx), ctx


@pytest.fixture(scope="module")
def mapping() -> SectorMapping:
    return SectorMapping.load()


def quarantine(ctx) -> pd.DataFrame:
    return ctx.quarantine.to_frame()


def regions_of(out, pid: str) -> dict[str, str]:
    pr = out["project_regions"]
    return dict(pr.loc[pr["project_id"] == pid, ["region_id", "role"]].itertuples(index=False))


# ---------------------------------------------------------------- MPSC on the fixture


def test_mpsc_cooperation_links_lead_and_every_named_partner(fixture_build):
    out, _ = fixture_build
    assert regions_of(out, "MPSC-2099-01") == {"14729070": "lead", "14729300": "partner", "14729250": "partner"}


def test_mpsc_landkreis_bracket_name_and_override(fixture_build):
    out, _ = fixture_build
    assert regions_of(out, "MPSC-2099-02") == {"09479": "lead"}
    assert regions_of(out, "MPSC-2099-03") == {"15002000": "lead"}
    pr = out["project_regions"].set_index("project_id")
    assert regions_of(out, "MPSC-2099-05") == {"16064046": "lead"}
    assert pr.loc["MPSC-2099-05", "method"] == "override"


def test_mpsc_amounts_years_and_round_as_published(fixture_build):
    out, _ = fixture_build
    p = out["projects"].set_index("project_id")
    assert p.loc["MPSC-2099-01", "funding_federal_eur"] == 650000.5
    assert p.loc["MPSC-2099-01", "funding_total_eur"] == 1_000_000
    assert p.loc["MPSC-2099-01", "round"] == "Staffel 1 (2019)"
    assert p.loc["MPSC-2099-01", "category"] == "Interkommunale Kooperationen und Landkreise"  # harmonised spelling
    assert p.loc["MPSC-2099-01", "urls"].split("\n") == ["https://example.org/brandis", "https://example.org/naunhof", "https://example.org/auswahl-2019"]
    assert pd.isna(p.loc["MPSC-2099-02", "funding_federal_eur"]) and pd.isna(p.loc["MPSC-2099-02", "end_year"])
    assert p.loc["MPSC-2099-02", "funding_note"].startswith("zwei Meldungen:\nerst 5 Mio")


def test_mpsc_bad_cells_are_quarantined_with_line_and_column(fixture_build):
    _, ctx = fixture_build
    q = quarantine(ctx)
    q = q[q["source_id"] == "mpsc"]
    rows = {(r.line, None if pd.isna(r.column) else r.column): r.reason for r in q.itertuples()}
    # line 3 is the record spanning lines 3-4; the next record starts on line 5
    assert rows[(3, "foerderung_bund_eur")].startswith("amount is not a number")
    assert rows[(3, "laufzeit_bis")].startswith("year is not a four-digit year")
    assert rows[(7, "mpsc_id")] == "duplicate mpsc_id (first on line 5): project not loaded"
    assert rows[(2, "themen")] == "theme not in sector mapping"
    assert "Neustadt" in rows[(6, "name_veroeffentlicht")] and "candidates:" in rows[(6, "name_veroeffentlicht")]
    assert rows[(6, None)].startswith("project has no region")
    assert rows[(8, None)].startswith("project has no sector")  # only a motto
    assert (q["file"] == MPSC_FILE).all()


def test_mpsc_semicolon_inside_brackets_stays_in_its_theme(fixture_build):
    out, _ = fixture_build
    ps = out["project_sectors"]
    themes = ps.loc[ps["project_id"] == "MPSC-2099-03", "themes"].tolist()
    assert "Smarte Bildung (Schulen; Kitas)" in themes


def test_unknown_theme_is_reported_in_the_manifest_notes(fixture_build):
    _, ctx = fixture_build
    assert ctx.notes["projects"]["mpsc"]["unknown_themes"] == {"MPSC-2099-01": ["Glitzerkram-Initiative"]}
    assert ctx.notes["projects"]["codefor"]["unknown_themes"] == {"2018-23-09-ruhr-lora": ["Glitzer"]}


# ---------------------------------------------------------------- codefor on the fixture


def test_no_personal_field_reaches_any_table_or_note(fixture_build):
    out, ctx = fixture_build
    texts = [json.dumps(ctx.notes, ensure_ascii=False, default=str)]
    for frame in [*out.values(), quarantine(ctx)]:
        assert not set(frame.columns) & PERSONAL_FIELDS
        texts.extend(str(v) for v in frame.to_numpy().ravel().tolist())
    blob = "\n".join(texts)
    for personal in PERSONAL_STRINGS:
        assert personal not in blob, personal


def test_whitelists_exclude_personal_fields_and_they_are_never_parsed(tmp_path):
    assert not (PROJECT_FIELDS | LAB_FIELDS) & PERSONAL_FIELDS
    # A value safe YAML would refuse to construct: reading succeeds only because it is skipped.
    f = tmp_path / "p.md"
    f.write_text("---\ntitle: T\ncollaborators: !!python/name:os.system\nmembers:\n  - name: X\n---\nBody\n", encoding="utf-8")
    fm = read_front_matter(f, "p.md", PROJECT_FIELDS)
    assert fm.fields == {"title": "T"} and fm.body.strip() == "Body"


def test_second_links_after_broken_collaborators_block_is_ignored(fixture_build):
    out, ctx = fixture_build
    p = out["projects"].set_index("project_id")
    assert p.loc["2017-03-02-gi-duplikat", "urls"] == "https://example.org/mietspiegel"
    assert ctx.notes["projects"]["codefor"]["duplicate_front_matter_keys_ignored"] == {"2017-03-02-gi-duplikat": ["links"]}


def test_codefor_links_are_urls_only_and_addresses_are_removed(fixture_build):
    out, _ = fixture_build
    p = out["projects"].set_index("project_id")
    assert p.loc["2019-05-04-fr-stadtbaeume", "urls"] == "https://example.org/stadtbaeume"  # mailto: dropped
    description = p.loc["2019-05-04-fr-stadtbaeume", "description"]
    assert description == "Worum es geht\n\nEine Karte der Stadtbäume mit Gießplan.\n\nFragen an [E-Mail entfernt] oder per Mail."


def test_codefor_labs_resolve_by_coordinates_override_and_slug(fixture_build):
    out, _ = fixture_build
    assert regions_of(out, "2019-05-04-fr-stadtbaeume") == {"06412000": "lead"}  # "Frankfurt" near 50.1 N 8.7 E
    ruhr = regions_of(out, "2018-23-09-ruhr-lora")
    assert len([k for k, role in ruhr.items() if role == "lead"]) == 15  # RVR: 11 Städte + 4 Kreise
    assert ruhr["06411000"] == "partner"  # second lab "darmstadt": no lab file, resolved by its slug
    assert regions_of(out, "2017-03-02-gi-duplikat") == {"08311000": "lead"}  # "Freiburg" without coordinates: override


def test_codefor_drafts_dates_index_and_sectors(fixture_build):
    out, ctx = fixture_build
    p = out["projects"].set_index("project_id")
    assert "2020-01-01-entwurf" not in p.index and "_index" not in p.index
    q = quarantine(ctx)
    assert q.loc[q["file"].str.endswith("2020-01-01-entwurf.md"), "reason"].tolist() == ["draft on codefor.de (not published on the site): not loaded"]
    assert str(p.loc["2018-23-09-ruhr-lora", "date"]) == "2018-09-23"
    assert "YYYY-DD-MM" in p.loc["2018-23-09-ruhr-lora", "date_note"]
    assert str(p.loc["2021-02-03_krimskrams", "date"]) == "2021-02-03"  # underscore after the date
    ps = out["project_sectors"].set_index("project_id")
    assert ps.loc["2021-02-02-ohne-tags", "basis"] == "title"
    assert q.loc[q["value"] == "2021-02-03_krimskrams", "reason"].str.startswith("project has no sector").all()
    assert p.loc["2018-23-09-ruhr-lora", "status_group"] == "finished"


def test_registries_rows_count_what_happened(fixture_build):
    out, _ = fixture_build
    reg = out["registries"].set_index("registry_id")
    assert reg.loc["mpsc", "rows_read"] == 6 and reg.loc["mpsc", "projects"] == 5 and reg.loc["mpsc", "projects_quarantined"] == 1
    assert reg.loc["codefor", "rows_read"] == 6 and reg.loc["codefor", "projects"] == 5
    assert reg.loc["codefor", "licence"].startswith("Creative Commons")
    assert set(out["sectors"]["sector_id"]) == set(SECTOR_IDS) and len(SECTOR_IDS) == 11


# ---------------------------------------------------------------- format quirks (extract)


def test_latin1_csv_is_refused_with_its_line(tmp_path):
    f = tmp_path / "r.csv"
    f.write_bytes("mpsc_id,name\nMPSC-1,Köln\n".encode("latin-1"))
    with pytest.raises(InputError) as err:
        read_csv_records(f, "r.csv")
    assert err.value.line == 2 and "not UTF-8" in str(err.value) and "Latin-1" in str(err.value)


def test_truncated_csv_and_missing_column_name_the_place(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text('mpsc_id,name\nMPSC-1,"Köln\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_csv_records(f, "r.csv")
    assert err.value.line == 2
    f.write_text("mpsc_id,name\nMPSC-1,Köln\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_csv_records(f, "r.csv", required=("mpsc_id", "themen"))
    assert err.value.column == "themen" and err.value.line == 1


def test_semicolon_csv_is_read(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("a;b\n1;x, y\n", encoding="utf-8")
    frame = read_csv_records(f, "r.csv")
    assert frame.loc[0, "b"] == "x, y" and frame.loc[0, "line"] == 2


def test_front_matter_errors_name_file_and_line(tmp_path):
    f = tmp_path / "p.md"
    f.write_text("no front matter\n", encoding="utf-8")
    with pytest.raises(InputError, match="no YAML front matter"):
        read_front_matter(f, "p.md", PROJECT_FIELDS)
    f.write_text("---\ntitle: T\ntags: [a, b\n---\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_front_matter(f, "p.md", PROJECT_FIELDS)
    assert err.value.line is not None and "not valid YAML" in str(err.value)


def test_markdown_is_reduced_to_text():
    text = '# Titel\n\nSiehe [die Seite](https://x.org) und ![Bild](a.png)<br>**fett** &amp; {{< shortcode >}}<!-- weg -->'
    assert strip_markdown(text) == "Titel\n\nSiehe die Seite und\nfett &"


@pytest.mark.parametrize(
    "name, date, note",
    [
        ("2014-04-19-dd-kitakarte.md", "2014-04-19", None),
        ("2018-23-09-x.md", "2018-09-23", "YYYY-DD-MM"),
        ("2025-03-21_baumbie.md", "2025-03-21", None),
        ("2019-31-31-x.md", None, "not a date"),
        ("_index.md", None, "no YYYY-MM-DD- prefix"),
    ],
)
def test_date_prefixes(name, date, note):
    parsed, text = parse_date_prefix(name)
    assert (parsed.isoformat() if parsed else None) == date
    assert (note is None and text is None) or note in text


@pytest.mark.parametrize(
    "status, group",
    [("Laufend", "active"), ("In Progress", "active"), ("Abgeschlossen, tägliche Datenaktualisierung", "finished"),
     ("Verwaist, sucht Mitmacher", "stopped"), ("Dead", "stopped"), ("3. September 2021", "unknown"), (None, "unknown")],
)
def test_status_groups(status, group):
    assert status_group(status) == group


def test_split_themes_and_redaction():
    assert split_themes("A; B (x; y); C") == ["A", "B (x; y)", "C"]
    assert redact_emails("an a.b@c.de oder mailto:x@y.org") == "an [E-Mail entfernt] oder [E-Mail entfernt]"


# ---------------------------------------------------------------- sector mapping


def test_every_sector_has_keywords_and_the_file_is_valid(mapping):
    assert {r.sector_id for r in mapping.rules if r.sector_id} == set(SECTOR_IDS)


def test_mapping_file_errors_are_refused(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("keyword,match,sector_id,notes\nradweg,part,bicycles,\nmotto,part,,\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        SectorMapping.load(f)
    assert "unknown sector 'bicycles'" in str(err.value) and "needs a note" in str(err.value)


@pytest.mark.parametrize(
    "theme, has, lacks",
    [
        ("Bürgerbeteiligung (Bürgerwerkstatt)", {"participation_inclusion"}, set()),
        ("Zirkuläres Handeln (Material- und Energiekreislauf, energetische Sanierung)", {"climate_environment_water", "energy_buildings"}, {"economy_trade_logistics"}),
        ("Smart Region AUF (Apfeldorf, Unterdießen, Fuchstal)", set(), {"urban_development_housing"}),
        ("QR-Code-Angebote (Märchenmarkt, Tierpark)", {"education_culture"}, {"mobility"}),
        ("Wirtschaft (Gewerbe- und Innovationszentrum „Speicher“, Makerspace)", {"economy_trade_logistics"}, {"energy_buildings"}),
        ("Tiny House als mobiles Beteiligungs-/Infozentrum", {"participation_inclusion"}, {"mobility"}),
        ("Bäume", {"climate_environment_water"}, set()),
        ("Starkregen-Warnsystem", {"safety_resilience"}, set()),
    ],
)
def test_keywords_hit_and_do_not_overreach(mapping, theme, has, lacks):
    found, known = mapping.classify(theme)
    assert known
    assert has <= found and not (lacks & found)


def test_every_theme_and_tag_of_the_kit_is_in_the_mapping(kit_dir, mapping):
    raw = read_csv_records(kit_dir / MPSC_FILE, MPSC_FILE)
    themes = {t for text in raw["themen"] for t in split_themes(text)}
    for path in sorted((kit_dir / "codefor_okfde" / "projekte").glob("*.md")):
        tags = read_front_matter(path, path.name, PROJECT_FIELDS).fields.get("tags") or []
        themes |= {str(t) for t in (tags if isinstance(tags, list) else [tags])}
    _, unknown, _ = classify_themes(sorted(themes), mapping)
    assert unknown == [], f"{len(unknown)} themes/tags not in data/sector_mapping.csv: {unknown}"


# ---------------------------------------------------------------- the real kit (step run on the real regions)


def test_every_mpsc_project_resolves_and_has_a_sector(kit_build):
    out, ctx = kit_build
    p = out["projects"]
    mpsc = set(p.loc[p["registry_id"] == "mpsc", "project_id"])
    assert len(mpsc) == 73
    pr, ps = out["project_regions"], out["project_sectors"]
    assert mpsc <= set(pr.loc[pr["registry_id"] == "mpsc", "project_id"])
    assert mpsc <= set(ps.loc[ps["registry_id"] == "mpsc", "project_id"])
    q = quarantine(ctx)
    assert q[q["source_id"] == "mpsc"].empty, q[q["source_id"] == "mpsc"]["reason"].tolist()


@pytest.mark.parametrize(
    "pid, expected",
    [
        ("MPSC-2019-13", {"09479"}),  # Landkreis Wunsiedel
        ("MPSC-2020-16", {"08311000"}),  # Freiburg i. Br.
        ("MPSC-2021-48", {"15002000"}),  # Halle (Saale)
        ("MPSC-2021-61", {"09763000"}),  # Kempten (Allgäu)
        ("MPSC-2021-63", {"16064046"}),  # Mühlhausen: Mühlhausen/Thüringen (override)
        ("MPSC-2020-39", {"02000000", "14713000", "09162000"}),  # Hamburg in Kooperation mit Leipzig und München
        ("MPSC-2020-35", {"12069020", "12069665"}),  # Bad Belzig und Gemeinde Wiesenburg/Mark
        ("MPSC-2020-41", {"09475"}),  # Landkreis Hof, not the Stadt
    ],
)
def test_hard_mpsc_names_on_the_kit(kit_build, pid, expected):
    out, _ = kit_build
    assert set(regions_of(out, pid)) == expected


def test_rhein_neckar_and_ilzer_land_link_their_members(kit_build, kit_regions):
    out, _ = kit_build
    rn = regions_of(out, "MPSC-2021-73")
    lands = set(kit_regions.set_index("region_id").loc[list(rn), "land_id"])
    assert len(rn) == 15 and lands == {"08", "06", "07"}
    ilz = regions_of(out, "MPSC-2021-70")
    assert ilz["09272140"] == "lead" and len(ilz) == 11  # Ringelai leads; 11 Kommunen of the ILE take part


def test_mpsc_funding_counts_agree_with_the_publisher_caveat(kit_build):
    out, _ = kit_build
    p = out["projects"][out["projects"]["registry_id"] == "mpsc"]
    # SOURCES.md: "33 totals and 5 grants are unknown"
    assert p["funding_total_eur"].isna().sum() == 33 and p["funding_federal_eur"].isna().sum() == 5


def test_every_codefor_project_resolves_and_the_rest_is_explained(kit_build):
    out, ctx = kit_build
    p = out["projects"]
    cf = set(p.loc[p["registry_id"] == "codefor", "project_id"])
    assert len(cf) == 245
    pr, ps = out["project_regions"], out["project_sectors"]
    assert cf <= set(pr.loc[pr["registry_id"] == "codefor", "project_id"])
    q = quarantine(ctx)
    q = q[q["source_id"] == "codefor"]
    without_sector = cf - set(ps.loc[ps["registry_id"] == "codefor", "project_id"])
    explained = set(q.loc[q["reason"].str.startswith("project has no sector"), "value"])
    assert without_sector == explained
    assert (q["reason"] == "draft on codefor.de (not published on the site): not loaded").sum() == 2


def test_every_lab_of_the_kit_resolves(kit_dir, kit_regions):
    ctx = make_context(kit_dir, kit_regions)
    resolver = Resolver.from_files(kit_regions)
    labs = read_labs(ctx)
    assert len(labs) == 38
    resolved = {slug: resolve_lab(resolver, labs, slug)[0] for slug in [*labs, "darmstadt", "bremen"]}
    assert [c.region_id for c in resolved["saarland"].regions] == ["10"]
    assert [c.region_id for c in resolved["mecklenburg-vorpommern"].regions] == ["13"]
    assert [c.region_id for c in resolved["frankfurt"].regions] == ["06412000"]
    assert [c.region_id for c in resolved["freiburg"].regions] == ["08311000"]
    assert len(resolved["niederrhein"].regions) == 5 and len(resolved["ruhrgebiet"].regions) == 15
    assert [c.region_id for c in resolved["bremen"].regions] == ["04011000"]


def test_kit_codefor_texts_carry_no_addresses_or_profile_links(kit_build):
    out, _ = kit_build
    p = out["projects"][out["projects"]["registry_id"] == "codefor"]
    assert not p["description"].fillna("").str.contains(r"[\w.+-]+@[\w-]+\.[\w.]+", regex=True).any()
    assert not p["urls"].fillna("").str.contains("mailto:").any()
    # the second links: of these files is a volunteer's profile (broken collaborators block)
    assert p.set_index("project_id").loc["2017-03-02-gi-mietspiegel", "urls"] == "https://github.com/CodeForGiessen/mietspiegel"


# ---------------------------------------------------------------- end to end: the full build


def test_warehouse_has_the_project_tables(warehouse):
    counts = warehouse.sql("SELECT registry_id, projects, projects_with_region, region_links FROM registries ORDER BY registry_id")
    assert counts.set_index("registry_id")["projects"].to_dict() == {"codefor": 245, "mpsc": 73}
    assert (counts["projects"] == counts["projects_with_region"]).all()
    orphans = warehouse.sql("SELECT COUNT(*) AS n FROM project_regions pr LEFT JOIN regions r USING (region_id) WHERE r.region_id IS NULL")
    assert orphans["n"].iloc[0] == 0
    assert warehouse.sql("SELECT COUNT(*) AS n FROM sectors")["n"].iloc[0] == 11
    assert "projects" in warehouse.manifest["notes"]
