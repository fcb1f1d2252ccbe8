"""AppTest of the Projekte page on the real warehouse: search (umlauts),
every filter and the year range, empty results, the project view (map,
key figures, attribution), closing it, English, and the permalink."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

PAGE = "views/projekte.py"
FILTER_KEYS = ("projekte.reg", "projekte.sec", "projekte.status", "projekte.rnd", "projekte.cat", "projekte.land")


@pytest.fixture()
def app(open_app):
    return lambda params=None: open_app(PAGE, check=False, **(params or {}))


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " von " in m.value and "Projekten" in m.value)


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info] + [w.value for w in at.warning])


def test_list_downloads_and_sources(app, warehouse):
    at = app()
    assert not at.exception
    assert at.title[0].value == "Projekte"
    n = int(warehouse.sql("SELECT count(*) AS n FROM projects")["n"].iloc[0])
    assert count_line(at) == f"**{n} von {n} Projekten**"
    table = at.dataframe[0].value
    assert len(table) == n
    assert table["view"].str.contains("/projekte?project=", regex=False).all()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Liste (CSV)", "Liste (XLSX)"]
    captions = "\n".join(c.value for c in at.caption)
    assert "Quellen:" in captions and "Lizenz" in captions
    assert not at.header  # no project view without a project


def test_search_is_umlaut_tolerant(app):
    at = app()
    at.text_input(key="projekte.q").input("München").run()
    with_umlaut = count_line(at)
    at.text_input(key="projekte.q").input("Muenchen").run()
    assert count_line(at) == with_umlaut
    at.text_input(key="projekte.q").input("munchen").run()
    n_plain = int(count_line(at).strip("*").split()[0])
    assert 0 < n_plain <= int(with_umlaut.strip("*").split()[0])
    assert at.query_params["q"] == "munchen"
    at.text_input(key="projekte.q").input("zzzz-kein-projekt").run()
    assert not at.exception
    assert any("Kein Projekt passt" in i.value for i in at.info)
    assert not at.dataframe or len(at.dataframe[0].value) == 0


def test_every_filter_and_the_year_range(app, warehouse):
    at = app()
    for key in FILTER_KEYS:
        widget = at.multiselect(key=key)
        widget.select(widget.options[0]).run()
        assert not at.exception, key
        assert at.query_params.get(key.split(".", 1)[1]), key
        at.multiselect(key=key).set_value([]).run()
    lo, hi = (int(x) for x in warehouse.sql("SELECT min(year) AS lo, max(year) AS hi FROM projects").iloc[0])
    at.slider(key="projekte._years_widget").set_range(2019, 2020).run()
    assert not at.exception
    n = int(warehouse.sql("SELECT count(*) AS n FROM projects WHERE year BETWEEN 2019 AND 2020")["n"].iloc[0])
    assert count_line(at).startswith(f"**{n} von ")
    assert at.query_params["years"] == "2019-2020"
    at.slider(key="projekte._years_widget").set_range(lo, hi).run()
    assert "years" not in at.query_params
    # An impossible combination: codefor projects of an MPSC round.
    at.multiselect(key="projekte.reg").select("codefor").run()
    at.multiselect(key="projekte.rnd").select("Staffel 2 (2020)").run()
    assert not at.exception
    assert any("Kein Projekt passt" in i.value for i in at.info)


def test_project_view(app, warehouse):
    at = app()
    key = "mpsc:MPSC-2019-01"
    at.selectbox(key="projekte.project").select(key).run()
    assert not at.exception
    title = warehouse.sql("SELECT title FROM projects WHERE registry_id = 'mpsc' AND project_id = 'MPSC-2019-01'")["title"].iloc[0]
    assert at.header[0].value == title
    assert at.query_params["project"] == key
    assert len(at.get("plotly_chart")) == 1  # the map of its regions
    body = texts(at)
    assert "Bundesförderung:" in body and "Mio\\. EUR" in body
    assert "Beträge wie berichtet" in body
    assert "](https://" in body  # links rendered as links
    assert "Median aller Regionen derselben Ebene" in body
    profile = at.dataframe[0].value
    assert {"Kennzahl", "Wert", "Median Deutschland", "Median der Vergleichsgruppe"} <= set(profile.columns)
    assert ": Vergleichsgruppe: " in body.replace("\\", "")  # the same group as on the Steckbrief
    assert profile["Kennzahl"].str.contains("Breitband").any()
    assert "Modellprojekte Smart Cities (BMWSB/KfW)" in body.replace("\\", "") and "Lizenz" in body
    # Close it.
    at.button(key="projekte.close").click().run()
    assert not at.exception
    assert not at.header and "project" not in at.query_params


def test_permalink_opens_a_project_hidden_by_no_filter(app, warehouse):
    row = warehouse.sql("SELECT registry_id, project_id, title FROM projects WHERE registry_id = 'codefor' ORDER BY project_id LIMIT 1").iloc[0]
    key = f"{row['registry_id']}:{row['project_id']}"
    at = app({"project": key, "reg": "mpsc", "q": "Solingen"})
    assert not at.exception
    # The filters hide it from the list, the link still opens it.
    assert at.header[0].value.replace("\\", "") == row["title"]
    assert at.selectbox(key="projekte.project").value == key
    assert at.multiselect(key="projekte.reg").value == ["mpsc"]
    assert at.text_input(key="projekte.q").value == "Solingen"
    assert at.query_params["project"] == key and at.query_params["reg"] == "mpsc"


def test_unknown_project_and_bad_url_values(app):
    at = app({"project": "mpsc:NO-SUCH", "years": "rubbish", "sec": "nonsense"})
    assert not at.exception
    assert any("gibt es im Datenlager nicht" in w.value for w in at.warning)
    assert not at.header
    assert at.multiselect(key="projekte.sec").value == []
    assert "years" not in at.query_params


def test_english(app):
    at = app({"lang": "en", "project": "mpsc:MPSC-2019-01"})
    assert not at.exception
    assert at.title[0].value == "Projects"
    body = texts(at)
    assert "Federal grant:" in body and "Amounts as reported" in body
    assert "Sources:" in body or "Source:" in body
    assert [b.proto.label for b in at.get("download_button")][-2:] == ["List (CSV)", "List (XLSX)"]
    assert "Median Germany" in at.dataframe[0].value.columns


def test_the_project_map_has_a_description(app):
    from apptest_helpers import descriptions

    at = app({"project": "mpsc:MPSC-2019-01"})
    [text] = descriptions(at)
    assert text.startswith("Karte: ") and "Hervorgehoben: " in text
    [text] = descriptions(app({"lang": "en", "project": "mpsc:MPSC-2019-01"}))
    assert text.startswith("Map: ") and "Highlighted: " in text
