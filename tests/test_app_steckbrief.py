"""AppTest of the Steckbrief page on the session warehouse: the search (typos,
umlauts, keys, ambiguous names, no match), the region list, the permalink,
both languages, the downloads, and a warehouse without project tables."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "views/steckbrief.py"


def _open(monkeypatch, directory, **params) -> AppTest:
    monkeypatch.setenv("DSR_WAREHOUSE", str(directory))
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def _infos(at) -> str:
    return "\n".join(i.value for i in at.info)


def _params(at) -> dict:
    return {k: at.query_params[k] for k in at.query_params}


def _value(v):
    return v[0] if isinstance(v, list) else v


def test_start_page_invites_a_search(monkeypatch, warehouse):
    at = _open(monkeypatch, warehouse.directory)
    assert at.title[0].value == "Steckbrief"
    assert "amtlichen Schlüssel" in _infos(at)
    assert len(at.selectbox) == 0 and len(at.metric) == 0


def test_permalink_with_a_lost_leading_zero_restores_the_profile(monkeypatch, warehouse):
    at = _open(monkeypatch, warehouse.directory, region="9162")
    assert at.selectbox[0].value == "09162"
    assert _value(_params(at)["region"]) == "09162"  # written back zero-padded
    assert any("München" in h.value for h in at.header)
    labels = [m.label for m in at.metric]
    assert "Einwohner" in labels and "Tägliche Internetnutzung" in labels
    captions = _captions(at)
    assert "Wert des Landes Bayern" in captions  # a Land-only figure is labelled as such
    assert "Rang " in captions and " von 401" in captions
    assert "Vergleichsgruppe: Kreise" in captions
    assert "GeoBasis\\-DE / BKG" in captions and "Lizenz" in captions  # source lines with licences
    assert len(at.dataframe) >= 1
    # The downloads are there: PDF briefing, figures CSV/XLSX and the chart exports.
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Steckbrief als PDF" in labels and "Kennzahlen (CSV)" in labels and labels.count("Dokument (PDF)") == 2


@pytest.mark.parametrize(
    ("query", "region_id"),
    [("Göttngen", "03159"), ("Muenchen", "09162"), ("frankfurt oder", "12053"), ("9162", "09162"), ("Munchen", "09162")],
)
def test_search_finds_typos_umlauts_and_keys(monkeypatch, warehouse, query, region_id):
    at = _open(monkeypatch, warehouse.directory)
    at.text_input[0].set_value(query).run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == region_id
    params = _params(at)
    assert _value(params["region"]) == region_id and _value(params["q"]) == query
    assert len(at.metric) >= 3


def test_ambiguous_name_lists_every_candidate_and_the_pick_sticks(monkeypatch, warehouse):
    at = _open(monkeypatch, warehouse.directory)
    at.text_input[0].set_value("Mühlhausen").run()
    assert "Regionen heißen „Mühlhausen“" in _infos(at)
    options = at.selectbox[0].options
    for expected in ("Mühlhausen (Gemeinde, Verwaltungsverband Rauenberg, Rhein-Neckar-Kreis, Baden-Württemberg; 08226054)", "Mühlhausen/Thüringen (Stadt, Unstrut-Hainich-Kreis, Thüringen; 16064046)"):
        assert expected in options
    at.selectbox[0].select("09572143").run()
    assert not at.exception, at.exception
    assert _value(_params(at)["region"]) == "09572143"
    assert any("Erlangen" in c.value for c in at.caption)
    # The permalink reopens exactly this view.
    again = _open(monkeypatch, warehouse.directory, q="Mühlhausen", region="09572143")
    assert again.selectbox[0].value == "09572143" and again.text_input[0].value == "Mühlhausen"


def test_no_match_keeps_the_last_region_and_says_so(monkeypatch, warehouse):
    at = _open(monkeypatch, warehouse.directory, region="09162")
    at.text_input[0].set_value("xyzzy").run()
    assert not at.exception
    assert "Keine Region passt zu „xyzzy“" in _infos(at)
    assert at.selectbox[0].value == "09162"
    fresh = _open(monkeypatch, warehouse.directory, q="xyzzy")
    assert "Keine Region passt" in _infos(fresh) and len(fresh.selectbox) == 0


def test_unknown_key_in_the_link_shows_the_start(monkeypatch, warehouse):
    at = _open(monkeypatch, warehouse.directory, region="99999")
    assert "Die Region „99999“ gibt es im Gebietsstand 2021 nicht" in "\n".join(w.value for w in at.warning)
    assert len(at.selectbox) == 0 and "region" not in _params(at)
    assert "amtlichen Schlüssel" in _infos(at)


@pytest.mark.parametrize("region_id", ["11", "08226054", "09173451", "091"])
def test_every_level_renders(monkeypatch, warehouse, region_id):
    """A Land (a city state), a Gemeinde with Kreis values, a gemeindefreies Gebiet, a Regierungsbezirk."""
    at = _open(monkeypatch, warehouse.directory, region=region_id)
    assert at.selectbox[0].value == region_id
    assert "Quelle" in _captions(at)


def test_english(monkeypatch, warehouse):
    at = _open(monkeypatch, warehouse.directory, lang="en", region="08226054")
    assert at.title[0].value == "Region profile"
    labels = [m.label for m in at.metric]
    assert "Population" in labels and "Daily internet use" in labels
    captions = _captions(at)
    assert "value of the district Rhein\\-Neckar\\-Kreis" in captions
    assert "Peer group: Gemeinden" in captions or "Peer group: Municipalities" in captions
    assert "Sources:" in captions or "Source:" in captions
    # Switching the language in the sidebar keeps the region.
    at.radio(key="lang").set_value("de").run()
    assert not at.exception and at.title[0].value == "Steckbrief" and at.selectbox[0].value == "08226054"


def test_without_project_tables(monkeypatch, warehouse, tmp_path):
    """A warehouse built before the projects step: the page says so instead of failing."""
    trimmed = tmp_path / "wh"
    trimmed.mkdir()
    manifest = json.loads((Path(warehouse.directory) / "manifest.json").read_text(encoding="utf-8"))
    drop = {"projects", "project_regions", "project_sectors", "registries", "sectors"}
    manifest["tables"] = [name for name in manifest["tables"] if name not in drop]
    (trimmed / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for item in Path(warehouse.directory).iterdir():
        if item.name != "manifest.json":
            os.symlink(item, trimmed / item.name)
    at = _open(monkeypatch, trimmed, region="09162")
    assert "keine Projektregister" in _infos(at)
    assert len(at.metric) >= 3


def test_every_chart_has_a_description(monkeypatch, warehouse):
    from apptest_helpers import descriptions

    at = _open(monkeypatch, warehouse.directory, region="09162")
    trends, location = descriptions(at)
    assert trends.startswith("Liniendiagramm: ") and "Bevölkerung: Zeitraum: " in trends
    assert "mit 1.471.508 Personen" in trends  # German thousands dots, the indicator's unit
    assert "Zeitraum: Ende 2018 bis Mitte 2021." in trends  # half-years named as published
    assert location.startswith("Karte: ") and location.endswith("Hervorgehoben: München.")
    en = descriptions(_open(monkeypatch, warehouse.directory, region="09162", lang="en"))
    assert en[0].startswith("Line chart: ") and "1,471,508" in en[0] and en[1].startswith("Map: ")
