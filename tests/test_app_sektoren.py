"""AppTest of the Sektoren page on the real warehouse: every control, empty
selections, the click-through to the projects, English, and the permalink."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

PAGE = "views/sektoren.py"
STACK_DIMS = ("registry", "round", "category", "status", "land", "region_type", "urban_rural")
TREE_DIMS = ("registry", "category", "round", "status")
FILTER_KEYS = ("sektoren.reg", "sektoren.sec", "sektoren.rnd", "sektoren.cat", "sektoren.status", "sektoren.land", "sektoren.rtype", "sektoren.urt")


@pytest.fixture()
def app(open_app):
    return lambda params=None: open_app(PAGE, check=False, **(params or {}))


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info])


def test_default_view_counts_every_project(app, warehouse):
    at = app()
    assert not at.exception
    assert at.title[0].value == "Sektoren"
    n = int(warehouse.sql("SELECT count(*) AS n FROM projects")["n"].iloc[0])
    assert at.metric[0].value == f"{n:,}".replace(",", ".")
    reporting = int(warehouse.sql("SELECT count(funding_federal_eur) AS n FROM projects")["n"].iloc[0])
    assert f"berichtet von {reporting} der {n} Projekte" in texts(at)
    assert len(at.get("plotly_chart")) == 2  # stacked bars and treemap
    captions = "\n".join(c.value for c in at.caption)
    assert "Quellen:" in captions and "Lizenz" in captions and "Code for Germany" in captions
    assert len(at.get("download_button")) == 10  # five per chart
    assert at.query_params.get("lang") is None and not at.query_params.get("stack")  # defaults stay out of the URL


def test_every_stack_measure_and_tree_option(app):
    at = app()
    for stack in STACK_DIMS:
        at.selectbox(key="sektoren.stack").select(stack).run()
        assert not at.exception, stack
        assert len(at.get("plotly_chart")) == 2, stack
    assert at.query_params["stack"] == "urban_rural"
    for measure in ("federal", "total", "count"):
        at.selectbox(key="sektoren.measure").select(measure).run()
        assert not at.exception, measure
        assert len(at.get("plotly_chart")) == 2, measure
    for tree in TREE_DIMS:
        at.selectbox(key="sektoren.tree").select(tree).run()
        assert not at.exception, tree
    assert at.query_params["tree"] == TREE_DIMS[-1]


def test_every_filter_and_an_empty_selection(app):
    at = app()
    for key in FILTER_KEYS:
        widget = at.multiselect(key=key)
        widget.select(widget.options[0]).run()
        assert not at.exception, key
        assert at.query_params.get(key.split(".", 1)[1]), key
        at.multiselect(key=key).set_value([]).run()
        assert not at.exception, key
    # codefor has no rounds: registry codefor and a round leave nothing.
    at.multiselect(key="sektoren.reg").select("codefor").run()
    at.multiselect(key="sektoren.rnd").select("Staffel 1 (2019)").run()
    assert not at.exception
    assert any("Keine Projekte passen" in i.value for i in at.info)
    assert not at.get("plotly_chart")
    assert at.query_params["reg"] == "codefor" and at.query_params["rnd"] == "Staffel 1 (2019)"


def test_a_filter_narrows_the_counts(app, warehouse):
    at = app({"land": "09"})
    assert not at.exception
    n = warehouse.sql(
        "SELECT count(DISTINCT (registry_id, project_id)) AS n FROM project_regions WHERE substr(region_id, 1, 2) = '09'"
    )["n"].iloc[0]
    assert at.metric[0].value == str(n)


def test_funding_measure_without_reported_amounts(app):
    at = app({"reg": "codefor", "measure": "federal"})
    assert not at.exception
    assert any("berichtet diesen Betrag" in i.value for i in at.info)
    assert "keines der" in texts(at)
    assert not at.get("plotly_chart")


def test_click_through_to_the_projects(app, warehouse):
    at = app()
    cell = "mobility|registry|mpsc"
    assert "Mobilität · Register: Modellprojekte Smart Cities 2019–2021" in at.selectbox(key="sektoren.cell").options
    at.selectbox(key="sektoren.cell").select(cell).run()
    assert not at.exception
    expected = warehouse.sql("SELECT count(*) AS n FROM project_sectors WHERE registry_id = 'mpsc' AND sector_id = 'mobility'")["n"].iloc[0]
    shown = at.dataframe[0].value
    assert len(shown) == expected
    assert shown["view"].str.contains("/projekte?project=mpsc%3AMPSC-", regex=False).all()
    link = at.get("page_link")[0].proto
    assert link.page == "projekte" and link.query_string.startswith("project=mpsc%3AMPSC-")
    assert at.query_params["cell"] == cell
    # A whole sector (a treemap box) lists the projects of every registry.
    at.selectbox(key="sektoren.cell").select("mobility").run()
    n_sector = warehouse.sql("SELECT count(*) AS n FROM project_sectors WHERE sector_id = 'mobility'")["n"].iloc[0]
    assert len(at.dataframe[0].value) == n_sector
    # No cell: no project table.
    at.selectbox(key="sektoren.cell").select("").run()
    assert not at.exception and not at.get("page_link")


def test_english(app):
    at = app({"lang": "en"})
    assert not at.exception
    assert at.title[0].value == "Sectors"
    captions = "\n".join(c.value for c in at.caption)
    assert "Sources:" in captions and "Licence" in captions
    assert "projects; the others state no amount" in texts(at)
    at.selectbox(key="sektoren.cell").select("mobility|registry|codefor").run()
    assert not at.exception
    assert at.get("page_link")[0].proto.query_string.endswith("&lang=en")


def test_permalink_restores_the_view(app):
    params = {"stack": "land", "measure": "total", "tree": "category", "sec": "mobility,health_care", "cell": "mobility|land|09"}
    at = app(params)
    assert not at.exception
    assert at.selectbox(key="sektoren.stack").value == "land"
    assert at.selectbox(key="sektoren.measure").value == "total"
    assert at.selectbox(key="sektoren.tree").value == "category"
    assert at.multiselect(key="sektoren.sec").value == ["mobility", "health_care"]
    assert at.selectbox(key="sektoren.cell").value == "mobility|land|09"
    assert len(at.dataframe[0].value) > 0  # the projects of Mobilität in Bayern
    assert {k: at.query_params.get(k) for k in params} == params


def test_invalid_url_values_fall_back(app):
    at = app({"stack": "nonsense", "measure": "x", "sec": "no_such_sector", "cell": "a|b|c"})
    assert not at.exception
    assert at.selectbox(key="sektoren.stack").value == "registry"
    assert at.selectbox(key="sektoren.measure").value == "count"
    assert at.multiselect(key="sektoren.sec").value == []
    assert at.selectbox(key="sektoren.cell").value == ""
    assert "stack" not in at.query_params and "cell" not in at.query_params


def test_a_registry_keeps_its_colour_under_a_filter_and_the_title_names_the_filter(app):
    import json

    def bars(at):
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        return {tr["name"]: tr["marker"]["color"] for tr in spec["data"] if tr.get("type") == "bar"}, spec["layout"]["title"]["text"]

    colours, title = bars(app())
    assert "Filter" not in title
    filtered, title_f = bars(app({"reg": "codefor"}))
    (name,) = filtered  # one registry left in the legend …
    assert filtered[name] == colours[name]  # … in the colour it has without the filter
    assert "Filter: Register = " in title_f.replace("<br>", " ")


def test_the_charts_have_descriptions(app):
    from apptest_helpers import descriptions

    bars, tree = descriptions(app())
    assert bars.startswith("Balkendiagramm: Anzahl Projekte nach Sektor und Register.")
    assert tree.startswith("Kacheldiagramm (Treemap): ")
    assert "Höchster Wert: " in bars and " Projekte; niedrigster Wert: " in bars


def test_one_sector_is_a_sentence_and_a_table(app):
    """A register filter leaving one sector drew one bar and a one-box treemap."""
    at = app({"reg": "codefor", "sec": "mobility"})
    assert not at.exception
    assert not at.get("plotly_chart")
    body = texts(at).replace("\\", "")
    assert "Anzahl Projekte nach Sektor und Register (Filter: Register = Code for Germany; Sektor = Mobilität). Mobilität: " in body
    small = at.dataframe[0].value
    assert list(small.columns) == ["Sektor", "Register", "Projekte"] and small["Sektor"].tolist() == ["Mobilität"]
    labels = [b.label for b in at.get("download_button")]
    assert not any("PNG" in x or "SVG" in x for x in labels) and any("CSV" in x for x in labels)
