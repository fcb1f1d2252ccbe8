"""AppTest of the Compare page (Vergleich) on the warehouse built from the real kit:
search and selection, every peer group, indicator and periods, projects,
English, empty and invalid selections, and the permalink."""

from __future__ import annotations


import pytest
from apptest_helpers import captions, descriptions, widget

PAGE = "views/vergleich.py"


@pytest.fixture
def app(open_app):
    return lambda **params: open_app(PAGE, **params)


def plain(at) -> str:
    """The captions without Markdown escapes."""
    return captions(at).replace("\\", "")


def _assert_source_line(at, word="Quelle"):
    assert any(c.value.startswith(f"{word}") for c in at.caption), captions(at)


def test_empty_selection_asks_for_regions(app):
    at = app()
    assert [i.value for i in at.info] == ["Bitte wählen Sie mindestens eine Region (Suche oben)."]
    assert dict(at.query_params) == {}


def test_search_without_umlauts_then_select(app):
    at = app()
    widget(at.text_input, "Region suchen (Name oder Schlüssel)").set_value("Muenchen").run()
    regions = widget(at.multiselect, "Regionen")
    assert "München (Kreisfreie Stadt, Bayern; 09162)" in regions.options
    assert "München (Landkreis, Bayern; 09184)" in regions.options
    regions.select("09162").select("09184").run()
    assert not at.exception
    assert widget(at.multiselect, "Regionen").value == ["09162", "09184"]
    # Default: a broadband indicator, B the latest period, A an earlier one.
    assert widget(at.selectbox, "Thema").value == "broadband"
    assert widget(at.selectbox, "Indikator").value == "bb_hh_all_50"
    assert widget(at.selectbox, "Zeitpunkt A").value < widget(at.selectbox, "Zeitpunkt B").value
    assert at.query_params["regions"] == "09162,09184"
    _assert_source_line(at)
    assert "Der Median ist der Median der gewählten Regionen." in captions(at)
    assert len(at.dataframe) >= 1  # the ranking
    # The search box: a query that matches nothing says so.
    widget(at.text_input, "Region suchen (Name oder Schlüssel)").set_value("xyzxyzxyz").run()
    assert "Keine Region passt" in captions(at)


def test_peer_groups(app):
    at = app(regions="09162,05315")
    peer = widget(at.multiselect, "Vergleichsgruppe")
    assert peer.value == []
    peer.set_value(["neighbours"]).run()
    assert not at.exception
    assert widget(at.selectbox, "Bezugsregion").value == "09162"
    assert "Vergleichsgruppe: Kreise, Nachbarn" in plain(at) and "Bezugsregion München" in plain(at)
    widget(at.selectbox, "Bezugsregion").set_value("05315").run()
    assert "Bezugsregion Köln" in plain(at)
    assert at.query_params["anchor"] == "05315" and at.query_params["peers"] == "neighbours"

    widget(at.multiselect, "Vergleichsgruppe").set_value(["type"]).run()
    assert not at.exception
    caps = plain(at)
    assert "Art „Kreisfreie Stadt“" in caps and "im Rang nächsten" in caps  # 107 kreisfreie Städte: a window in the chart

    widget(at.multiselect, "Vergleichsgruppe").set_value(["land"]).run()
    assert not at.exception and "Kreise, Land Nordrhein-Westfalen" in plain(at)

    widget(at.multiselect, "Vergleichsgruppe").set_value(["type", "size", "land"]).run()
    assert not at.exception
    assert "Kreise, Art „Kreisfreie Stadt“, ≥ 500.000 Einwohner, Land Nordrhein-Westfalen" in plain(at)

    widget(at.multiselect, "Vergleichsgruppe").set_value([]).run()
    assert not at.exception
    assert "peers" not in at.query_params  # the default is left out of the URL
    assert "Der Median ist der Median der gewählten Regionen." in plain(at)


def test_the_steckbrief_group_opens_as_the_same_group(app, open_app, warehouse):
    """Landkreis Göttingen: the Steckbrief names its group (type and size class)
    and links to Vergleich, which shows exactly that group."""
    import re

    from dashboard.peers import peer_group

    profile = open_app("views/steckbrief.py", region="03159")
    caption = next(c.value for c in profile.caption if c.value.startswith("Vergleichsgruppe")).replace("\\", "")
    assert "Art „Landkreis“, 300.000–500.000 Einwohner – 33 Regionen" in caption
    link = re.search(r"\((vergleich\?[^)]+)\)", caption).group(1)
    assert link == "vergleich?regions=03159&peers=type,size"
    at = app(regions="03159", peers="type,size")
    assert not at.exception
    assert "Kreise, Art „Landkreis“, 300.000–500.000 Einwohner – 33 Regionen" in plain(at)
    ranking = at.dataframe[0].value
    regions = warehouse.table("regions").set_index("region_id", drop=False)
    expected = {"03159", *peer_group(regions, "03159").ids}
    assert set(ranking["Schlüssel"]) == expected and len(ranking) == 34


def test_links_with_the_former_peer_parameter_still_open_a_group(app):
    at = app(regions="09162", peer="population")
    assert not at.exception
    assert widget(at.multiselect, "Vergleichsgruppe").value == ["size"]


def test_indicator_and_periods(app):
    at = app(regions="09162,09184,05315")
    widget(at.selectbox, "Thema").set_value("economy").run()
    assert not at.exception
    widget(at.selectbox, "Indikator").set_value("gdp_per_inhabitant_eur").run()
    a = widget(at.selectbox, "Zeitpunkt A")
    a.set_value("2005-12-31").run()
    widget(at.selectbox, "Zeitpunkt B").set_value("2010-12-31").run()
    assert not at.exception
    assert at.query_params["ind"] == "gdp_per_inhabitant_eur"
    assert (at.query_params["pa"], at.query_params["pb"]) == ("2005-12-31", "2010-12-31")
    _assert_source_line(at)
    # Same period in A and B: said.
    widget(at.selectbox, "Zeitpunkt A").set_value("2010-12-31").run()
    assert "derselbe Zeitpunkt" in captions(at)
    # A series break between A and B is pointed out.
    at2 = app(regions="09162", ind="bb_hh_all_50", topic="broadband", pa="2010-12-31", pb="2018-12-31")
    assert any("Bruch in der Reihe" in w.value for w in at2.warning)


def test_projects_of_the_regions(app):
    at = app(regions="09162,05315,03101")
    assert any(s.value == "Projekte der Regionen" for s in at.subheader)
    caps = captions(at)
    assert "Ein Projekt einer Gemeinde zählt auch für ihren Kreis" in caps
    # Summary and detail tables besides the ranking; the registries' source line.
    assert len(at.dataframe) == 3
    summary = at.dataframe[1].value
    assert summary["Anzahl Projekte"].sum() > 0
    assert any(c.value.startswith("Quelle") and ("Smart Cities" in c.value or "Code for" in c.value) for c in at.caption)


def test_mixed_levels_and_gemeinde_neighbours(app):
    at = app(regions="09,09162,09162000")
    assert not at.exception
    assert "mischt Ebenen" in captions(at)
    at = app(regions="09162000", peers="neighbours")
    assert not at.exception
    assert "Vergleichsgruppe: Gemeinden, Nachbarn" in plain(at) and "Bezugsregion München" in plain(at)


def test_english(app):
    at = app(lang="en", regions="09162,09184")
    assert at.title[0].value == "Compare"
    assert widget(at.multiselect, "Peer group").value == []
    _assert_source_line(at, "Source")
    assert any(s.value == "Ranking" for s in at.subheader)
    widget(at.multiselect, "Peer group").set_value(["type"]).run()
    assert not at.exception
    widget(at.selectbox, "Period A").set_value("2018-06-30").run()
    assert not at.exception
    assert "mid 2018" in widget(at.selectbox, "Period A").options
    assert any("type 'Kreisfreie Stadt'" in c.value for c in at.caption)


def test_permalink_restores_the_view(app):
    at = app(regions="09162,05315", peers="neighbours", anchor="05315", topic="economy", ind="gdp_mio_eur", pa="2001-12-31", pb="2015-12-31")
    assert widget(at.multiselect, "Regionen").value == ["09162", "05315"]
    assert widget(at.multiselect, "Vergleichsgruppe").value == ["neighbours"]
    assert widget(at.selectbox, "Bezugsregion").value == "05315"
    assert widget(at.selectbox, "Indikator").value == "gdp_mio_eur"
    assert widget(at.selectbox, "Zeitpunkt A").value == "2001-12-31"
    assert widget(at.selectbox, "Zeitpunkt B").value == "2015-12-31"
    link = [m.value for m in at.markdown if "Link zu dieser Ansicht" in m.value]
    assert link and "anchor=05315" in link[0] and "pb=2015-12-31" in link[0]


def test_invalid_and_too_many_regions(app):
    at = app(regions="99999,foo,09162,09184,05315,05117,11000,02000,01001", ind="no_such_indicator", pa="1800-01-01", peers="bogus")
    assert not at.exception
    assert widget(at.multiselect, "Regionen").value == ["09162", "09184", "05315", "05117", "11000", "02000"]
    assert any("Nicht übernommen" in w.value and "99999" in w.value and "01001" in w.value for w in at.warning)
    assert widget(at.selectbox, "Indikator").value == "bb_hh_all_50"
    assert widget(at.multiselect, "Vergleichsgruppe").value == []
    assert at.query_params["regions"] == "09162,09184,05315,05117,11000,02000"


def _bars(at) -> list[str]:
    """The region labels of the gap chart, top to bottom."""
    import json

    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]


def _description(at) -> str:
    texts = descriptions(at)
    assert len(texts) == 1, [e.label for e in at.expander]
    return texts[0]


def test_rank_window_is_centred_on_the_region(app):
    """'X und die 14 im Rang nächsten': 7 above and 7 below, shifted only at the ends."""
    at = app(regions="03159", peers="level")
    assert "Göttingen und die 14 im Rang nächsten der 401 Regionen" in plain(at)
    bars = _bars(at)
    assert len(bars) == 15 and bars.index("Göttingen (03159)") == 7
    table = at.dataframe[0].value
    ranked = list(table["Schlüssel"])
    i = ranked.index("03159")
    assert {b.rsplit("(", 1)[1].rstrip(")") for b in bars} == set(ranked[i - 7 : i + 8])
    # At the ends of the ranking the window shifts and keeps 15 bars.
    last = ranked[-1]
    bars = _bars(app(regions=last, peers="level"))
    assert len(bars) == 15 and bars[-1].endswith(f"({last})")
    first = ranked[0]
    bars = _bars(app(regions=first, peers="level"))
    assert len(bars) == 15 and bars[0].endswith(f"({first})")


def test_the_chart_has_a_description(app):
    at = app(regions="03159", peers="level")
    text = _description(at)
    assert text.startswith("Balkendiagramm: Breitband Haushalte")
    assert "Höchster Wert: " in text and "niedrigster Wert: " in text and "," in text.split("Höchster Wert: ")[1]  # decimal comma
    at = app(regions="09162,05315", lang="en")
    text = _description(at)
    assert text.startswith("Bar chart: ") and "Highest value: " in text and "." in text.split("Highest value: ")[1]


def test_a_region_without_a_value_is_named_and_says_no_data(app):
    """Thiendorf (14627290) has no broadband value for mid-2021 (the files give its territory before Tauscha joined; no weight for Tauscha)."""
    import json

    at = app(regions="14627290,03101000", topic="broadband", ind="bb_hh_all_50", pb="2021-06-30")
    assert "Keine Daten zum Zeitpunkt B (1): Thiendorf." in plain(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    marks = [a for a in spec["layout"]["annotations"] if a.get("name") == "no_data"]
    assert [(a["text"], a["y"]) for a in marks] == [("keine Daten", "Thiendorf (14627290)")]
    table = at.dataframe[0].value.set_index("Schlüssel")
    assert table.loc["14627290", "Wert B"] == "keine Daten"
    assert "Keine Daten: Thiendorf." in _description(at)
    at = app(regions="14627290,03101000", topic="broadband", ind="bb_hh_all_50", pb="2021-06-30", lang="en")
    assert "No data in period B (1): Thiendorf." in plain(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [a["text"] for a in spec["layout"]["annotations"] if a.get("name") == "no_data"] == ["no data"]
    assert "No data: Thiendorf." in _description(at)


def test_one_region_is_a_sentence_not_a_chart(app):
    at = app(regions="09162", topic="broadband", ind="bb_hh_all_50", pb="2021-06-30")
    assert not at.get("plotly_chart")
    body = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "München: 99,4\u202f%." in body
    assert at.dataframe[0].value.to_dict("list") == {"Name": ["München"], "Wert": ["99,4"]}
    labels = [b.label for b in at.get("download_button")]
    assert "CSV" in " ".join(labels) and not any("PNG" in x for x in labels)
