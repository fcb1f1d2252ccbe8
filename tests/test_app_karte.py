"""AppTest of the map page (Karte) and the Sources page on the warehouse built
from the real kit: every widget, both languages, empty and impossible
selections, the permalink round trip, the source line and the projects overlay."""

from __future__ import annotations

import json

import pytest

from apptest_helpers import map_data


@pytest.fixture
def app(open_app):
    return open_app


def _box(at, key):
    return next(s for s in at.selectbox if s.key == key)


_map = map_data


def _map_file(data: dict) -> dict:
    """The shapes file the map was sent the URL of, as published (gzip)."""
    import gzip

    from dashboard.data import STATIC_DIR

    return json.loads(gzip.decompress((STATIC_DIR / data["url"].removeprefix("app/static/")).read_bytes()))


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning] + [i.value for i in at.info])


def test_map_defaults_to_kreise_with_source_line_and_table(app, warehouse):
    at = app()
    assert _box(at, "karte.level").value == "kreis"
    data = _map(at)
    assert len(data["cls"]) == len(data["val"]) == len(data["rank"]) == 401
    assert "GeoBasis-DE / BKG 2021" in data["source"] and "Lizenz" in data["source"]
    assert "Quelle" in _text(at)
    # The shapes come from the app's own static files, never a CDN: one file
    # per level, whose regions are the warehouse's Kreise in the order of the values.
    assert data["url"].startswith("app/static/maps/kreis-")
    shapes = _map_file(data)
    kreise = warehouse.sql("SELECT region_id FROM regions WHERE level = 'kreis'")["region_id"]
    assert sorted(shapes["ids"]) == sorted(kreise) and len(shapes["shapes"]) == 401
    assert not at.get("plotly_chart")
    # The table of every region loads when its expander is opened.
    assert not at.dataframe
    at.session_state["karte.table"] = True
    at.run()
    table = at.dataframe[0].value
    assert len(table) == 401


def test_the_first_view_is_the_map_and_the_rest_follows_once_it_is_drawn(app):
    """A session's first view sends the map alone (with the link's choices, in
    its title, legend and URL); the choices, the period slider and everything
    below the map follow in the run the map causes when it reports itself drawn."""
    at = app(level="land", ind="bb_hh_all_100", period="2019-12-31", cls="equal", k="4", map_drawn=False)
    first = _map(at)
    assert first["report_drawn"] is True and len(first["labels"]) == 4
    assert "≥ 100 Mbit/s" in first["title"] and "Länder" in first["title"] and "2019" in first["title"]
    assert not at.selectbox and at.radio(key="lang").value == "de"  # the app's language radio, none of the page's boxes
    assert not [r for r in at.radio if r.key == "karte.cls"] and not at.select_slider
    assert not at.get("download_button") and not at.expander and "Quelle" not in _text(at)
    assert at.query_params["level"] == "land" and at.query_params["ind"] == "bb_hh_all_100" and at.query_params["period"] == "2019-12-31"
    at.session_state["karte.map_drawn"] = True  # what the map's report sets (``karte.map_drawn``)
    at.run()
    assert not at.exception
    rest = _map(at)
    assert rest["report_drawn"] is False and {**rest, "report_drawn": True} == first
    # The level and topic in the sidebar, the indicator above the map (its names are long).
    assert {s.key for s in at.sidebar.selectbox} == {"karte.level", "karte.topic"}
    assert [s.key for s in at.main.selectbox] == ["karte.ind"] and at.selectbox(key="karte.ind").value == "bb_hh_all_100"
    assert at.selectbox(key="karte.level").value == "land"
    assert at.select_slider(key="karte.period_slider").value == "2019-12-31"
    assert at.radio(key="karte.cls").value == "equal" and at.select_slider(key="karte.k").value == 4
    assert len(at.get("download_button")) == 5 and at.expander and "Quelle" in _text(at)
    assert at.query_params["cls"] == "equal" and at.query_params["k"] == "4"


def test_a_link_with_projects_shows_their_filters_in_the_first_view(app):
    at = app(level="kreis", proj="True", map_drawn=False)
    assert at.toggle(key="karte.proj").value is True
    assert _map(at)["report_drawn"] is False


def test_values_ranks_and_classes_reach_the_map_in_the_files_order(app, warehouse):
    at = app(level="land", ind="bb_hh_all_50")
    data = _map(at)
    ids = _map_file(data)["ids"]
    period = at.query_params["period"]
    expected = warehouse.sql(
        f"SELECT region_id, value FROM observations WHERE indicator_id = 'bb_hh_all_50' AND period = DATE '{period}' AND region_id IN ({', '.join(repr(i) for i in ids)})"
    ).set_index("region_id")["value"]
    for rid, value, rank, cls in zip(ids, data["val"], data["rank"], data["cls"]):
        assert value == pytest.approx(round(expected[rid], data["decimals"])), rid
        assert 0 <= cls < len(data["labels"])
    # Rank 1 is the highest share of households (higher is better).
    best = ids[data["rank"].index(1)]
    assert expected[best] == expected.max()


@pytest.mark.parametrize("level,count", [("land", 16), ("verband", 4605), ("gemeinde", 10997)])
def test_every_level_draws_all_its_regions(app, level, count):
    at = app(level=level)
    data = _map(at)
    assert len(data["cls"]) == count and len(_map_file(data)["ids"]) == count


def test_changing_every_widget_updates_the_map_and_the_url(app, warehouse):
    at = app()
    _box(at, "karte.level").set_value("land").run()
    assert not at.exception and at.query_params["level"] == "land"
    assert len(_box(at, "karte.topic").options) >= 3
    _box(at, "karte.topic").set_value("economy").run()
    assert not at.exception and at.query_params["topic"] == "economy"
    _box(at, "karte.ind").set_value("gdp_per_inhabitant_eur").run()
    assert not at.exception and at.query_params["ind"] == "gdp_per_inhabitant_eur"
    _slider(at).set_value("2000-12-31").run()
    assert not at.exception and at.query_params["period"] == "2000-12-31"
    assert "2000" in _map(at)["title"]
    for method in ("equal", "jenks", "quantile"):
        at.radio(key="karte.cls").set_value(method).run()
        assert not at.exception
    at.select_slider(key="karte.k").set_value(3).run()
    assert not at.exception and at.query_params["k"] == "3"
    assert 1 <= len(_map(at)["labels"]) <= 3


def test_manual_breaks_and_invalid_ones(app):
    at = app(level="land", cls="manual")
    at.text_input(key="karte.breaks").set_value("50; 75,5; 90").run()
    assert not at.exception
    assert at.query_params["breaks"] == "50; 75,5; 90"
    at.text_input(key="karte.breaks").set_value("90; abc; 10").run()
    assert not at.exception
    assert any("aufsteigenden Zahlen" in w.value for w in at.warning)


def test_not_reported_zeros_are_said_not_shown(app):
    at = app(level="kreis", topic="broadband", ind="bb_hh_all_50", period="2012-12-31")
    assert not at.exception
    assert any("nicht berichtet" in w.value for w in at.warning)
    data = _map(at)
    assert sum(c < 0 for c in data["cls"]) > 100
    # The hover says why there is no value.
    assert any("nicht berichtet" in text for text in data["nd"].values())


def test_permalink_restores_the_view_in_english(app):
    at = app(lang="en", level="land", topic="population", ind="population", period="2018-12-31", cls="equal", k="4")
    assert at.radio(key="lang").value == "en"
    assert _box(at, "karte.level").value == "land"
    assert _box(at, "karte.ind").value == "population"
    assert at.radio(key="karte.cls").value == "equal"
    assert at.title[0].value == "Map"
    link = next(m.value for m in at.markdown if "Link to this view" in m.value)
    for part in ("lang=en", "level=land", "ind=population", "cls=equal", "k=4"):
        assert part in link


def test_impossible_selections_fall_back_or_explain(app):
    at = app(level="nowhere", ind="no_such_indicator", period="1800-01-01", k="99", cls="magic")
    assert not at.exception
    assert _box(at, "karte.level").value == "kreis"
    assert at.select_slider(key="karte.k").value == 5
    # An indicator without values at the level: a message, not a traceback.
    at2 = app(level="gemeinde", topic="economy")
    assert not at2.exception


def test_projects_overlay_outlines_regions_with_projects(app):
    at = app(level="kreis")
    at.toggle[0].set_value(True).run()
    assert not at.exception
    outline = _map(at)["outline"]
    assert outline["label"] == "Projekte auf der Karte" and len(outline["idx"]) > 50
    assert all("Projekte" in text and "<br>" not in text for text in outline["text"])
    assert "Modellprojekte Smart Cities" in _map(at)["source"]


def test_sources_page_lists_every_source_with_licence_and_quarantine(app, warehouse):
    at = app(page="views/quellen.py")
    text = _text(at).replace("\\", "")  # Markdown escapes of data texts
    for sid, attribution, licence in warehouse.sql("SELECT source_id, attribution, licence FROM sources").itertuples(index=False):
        assert attribution in text and licence in text, sid
    # The summary is the build's count (manifest), and adds up to the quarantine table.
    summary = next(d.value for d in at.dataframe if "Grund" in d.value.columns)
    total = warehouse.sql("SELECT count(*) AS n FROM quarantine")["n"].iloc[0]
    assert summary["Zeilen"].sum() == total
    box = at.selectbox(key="quellen.src")
    box.set_value("vgrdl_kreise").run()
    assert not at.exception and "src" in at.query_params
    shown = next(d.value for d in at.dataframe if "source_id" in d.value.columns)
    n_vgrdl = warehouse.sql("SELECT count(*) AS n FROM quarantine WHERE source_id = 'vgrdl_kreise'")["n"].iloc[0]
    assert set(shown["source_id"]) == {"vgrdl_kreise"} and len(shown) == min(n_vgrdl, 5000)
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "Sources & method"


def test_a_region_chosen_on_the_map_gets_its_figure_and_links(app):
    at = app(level="kreis", sel="09162")
    data = _map(at)
    assert _map_file(data)["ids"][data["selected"]] == "09162"
    text = _text(at)
    assert "Gewählt: München" in text and "(09162)" in text and "Rang" in text
    links = {link.label: link.proto.page for link in at.get("page_link")}
    assert any("Steckbrief von München" in label for label in links)
    assert any("München vergleichen" in label for label in links)
    assert at.query_params["sel"] == "09162"
    # At Land level the choice becomes its Land; at Gemeinde level a Kreis has no single Gemeinde.
    at2 = app(level="land", sel="09162")
    assert _map_file(_map(at2))["ids"][_map(at2)["selected"]] == "09"
    at3 = app(level="gemeinde", sel="09162")
    assert _map(at3)["selected"] is None and "sel" not in at3.query_params
    # Clearing the choice.
    at.button(key="karte.clear").click().run()
    assert not at.exception and _map(at)["selected"] is None and "sel" not in at.query_params


def test_an_unknown_choice_is_dropped(app):
    at = app(level="kreis", sel="99999")
    assert _map(at)["selected"] is None and "sel" not in at.query_params


def test_the_map_has_a_description(app):
    from apptest_helpers import descriptions

    at = app("views/karte.py", level="kreis", topic="broadband", ind="bb_hh_all_50", period="2021-06-30")
    [text] = descriptions(at)
    assert text.startswith("Karte: Breitband Haushalte, alle Technologien, ≥ 50 Mbit/s, Kreise, Mitte 2021.")
    # Rosenheim is a Stadt and a Landkreis: the key tells them apart; ties are named together.
    assert "Höchster Wert: Rosenheim (09163), Regensburg (09362) mit 100,0\u202f%" in text
    assert "niedrigster Wert: Rostock (13072) mit 66,9\u202f%" in text
    [text] = descriptions(app("views/karte.py", level="gemeinde", topic="broadband", ind="bb_hh_all_50", period="2021-06-30", lang="en"))
    assert text.startswith("Map: ") and "Highest value: " in text and "No data: Bruchhausen-Vilsen, " in text


def _slider(at):
    """The period slider on the screen (a new widget after each play or pause)."""
    (slider,) = [s for s in at.select_slider if s.key.startswith("karte.period_")]
    return slider


def _class_labels(at) -> list[str]:
    return _map(at)["labels"]


def test_the_period_slider_keeps_the_classes_of_all_periods(app, warehouse):
    at = app(level="kreis", topic="broadband", ind="bb_hh_all_50")
    slider = _slider(at)
    periods = warehouse.sql(
        """SELECT DISTINCT strftime(o.period, '%Y-%m-%d') AS p FROM observations o JOIN regions r USING (region_id)
           WHERE r.level = 'kreis' AND o.indicator_id = 'bb_hh_all_50' AND o.value IS NOT NULL ORDER BY 1"""
    )["p"].tolist()
    assert periods[0] == "2010-12-31" and len(periods) >= 12
    assert slider.value == periods[-1] and at.query_params["period"] == periods[-1]
    # Each period once: end 2018 is a half-year for 400 Kreise and a year for one.
    assert len(slider.options) == len(set(slider.options)) == len(periods)
    latest = _class_labels(at)
    assert "Mitte 2021" in _map(at)["title"]
    # The legend says the classes hold for every period, first to last.
    assert _map(at)["legend_note"] == "Klassen gleich für alle Zeitpunkte 2010 – Mitte 2021"
    slider.set_value("2010-12-31").run()
    assert not at.exception and at.query_params["period"] == "2010-12-31"
    assert _map(at)["title"].endswith("Kreise, 2010")
    # The same breaks in 2010 as in 2021: those of every value of every period
    # (by themselves, the 2010 values would have quantiles of their own).
    assert _class_labels(at) == latest
    pooled = warehouse.sql(
        "SELECT o.value FROM observations o JOIN regions r USING (region_id) WHERE r.level = 'kreis' AND o.indicator_id = 'bb_hh_all_50' AND o.value IS NOT NULL"
    )["value"]
    from dashboard import charts

    assert charts.classify(pooled, "quantile", 5).breaks != charts.classify(
        warehouse.sql("SELECT value FROM observations WHERE indicator_id = 'bb_hh_all_50' AND period = DATE '2010-12-31' AND length(region_id) = 5")["value"], "quantile", 5
    ).breaks
    assert latest[0].startswith("0,0 – ") and latest[-1].endswith(" – 100,0")
    # Manual classes keep working, the same in every period.
    at.radio(key="karte.cls").set_value("manual").run()
    at.text_input(key="karte.breaks").set_value("50; 75,5; 90").run()
    manual = _class_labels(at)
    assert manual == ["0,0 – 50,0", "50,0 – 75,5", "75,5 – 90,0", "90,0 – 100,0"]
    _slider(at).set_value(periods[-1]).run()
    assert _class_labels(at) == manual and at.query_params["breaks"] == "50; 75,5; 90"


def test_play_and_pause_keep_the_period_in_the_link(app):
    at = app(level="kreis", topic="broadband", ind="bb_hh_all_50", period="2013-12-31")
    play = at.button(key="karte.play")
    assert play.label == "Abspielen"
    play.click().run()
    assert not at.exception and at.session_state["karte.playing"] is True
    assert at.button(key="karte.play").label == "Pause"
    # Play starts where the slider stands; the link names that period.
    assert at.query_params["period"] == "2013-12-31" and "2013" in _map(at)["title"]
    at.button(key="karte.play").click().run()
    assert at.session_state["karte.playing"] is False and at.button(key="karte.play").label == "Abspielen"
    assert at.query_params["period"] == "2013-12-31"
    # From the last period, play starts again at the first.
    _slider(at).set_value("2021-06-30").run()
    at.button(key="karte.play").click().run()
    assert at.session_state["karte.playing"] is True
    assert at.query_params["period"] == "2010-12-31" and _map(at)["title"].endswith("2010")
    # While playing, the slider only shows the period (what a browser sends for it
    # a step late is never read); stopped, it chooses again.
    shown = _slider(at)
    assert shown.key == "karte.period_playing" and shown.disabled and shown.value == "2010-12-31"
    at.button(key="karte.play").click().run()
    assert at.session_state["karte.playing"] is False and not _slider(at).disabled
    assert _slider(at).key != "karte.period_slider"  # a new widget: nothing late about the old one is read
    _slider(at).set_value("2015-12-31").run()
    assert at.query_params["period"] == "2015-12-31" and _map(at)["title"].endswith("2015")
    # An English link: the button speaks English.
    en = app(lang="en", level="land", ind="bb_hh_all_50", topic="broadband")
    assert en.button(key="karte.play").label == "Play"
    assert _map(en)["legend_note"].startswith("Same classes for every period 2010")


def test_a_playing_map_steps_to_the_next_period_and_stops_at_the_last():
    from dashboard.map_ui import next_period

    options = ["2019-12-31", "2020-12-31", "2021-06-30"]
    assert next_period(options, "2019-12-31") == ("2020-12-31", True)
    assert next_period(options, "2020-12-31") == ("2021-06-30", False)
    assert next_period(options, "2021-06-30") == ("2021-06-30", False)
    assert next_period(options, "1999-12-31") == ("2019-12-31", True)


def test_an_indicator_with_one_period_has_no_slider_and_no_legend_note(app, warehouse):
    ind = warehouse.sql(
        """SELECT o.indicator_id, any_value(i.topic) AS topic FROM observations o JOIN regions r USING (region_id) JOIN indicators i USING (indicator_id)
           WHERE r.level = 'kreis' AND o.value IS NOT NULL GROUP BY 1 HAVING count(DISTINCT o.period) = 1 ORDER BY 1 LIMIT 1"""
    ).iloc[0]
    at = app(level="kreis", topic=ind["topic"], ind=ind["indicator_id"])
    assert not [s for s in at.select_slider if s.key.startswith("karte.period_")]
    assert not [b for b in at.button if b.key == "karte.play"]
    assert _map(at)["legend_note"] == "" and "period" in at.query_params
