"""A link with values that do not exist here: the page opens with valid values
and says what it replaced; an indicator implies its topic; the map answers to
its own name. AppTest on the session warehouse (the /karte path in a browser:
tests/test_browser.py)."""

from __future__ import annotations

from apptest_helpers import widget


def _notice(at) -> str:
    return "\n".join(i.value for i in at.info if "Der Link enthielt" in i.value or "The link held" in i.value).replace("\\", "")


def test_invalid_and_unknown_parameters_are_named(open_app):
    at = open_app("views/karte.py", level="foo", period="1800", zzz="1")
    notice = _notice(at)
    assert "„level=foo“ ersetzt durch „kreis“" in notice
    assert "„period=1800“ ersetzt durch" in notice
    assert "„zzz=1“ nicht übernommen" in notice
    # The next rerun (a widget changed) says nothing: the link is no longer news.
    widget(at.selectbox, "Ebene").set_value("land").run()
    assert _notice(at) == ""


def test_a_valid_link_gets_no_notice(open_app):
    at = open_app("views/karte.py", level="land", ind="bb_hh_all_50")
    assert _notice(at) == ""


def test_an_indicator_implies_its_topic(open_app):
    at = open_app("views/karte.py", level="kreis", ind="gdp_per_inhabitant_eur")
    assert widget(at.selectbox, "Thema").value == "economy"
    assert widget(at.selectbox, "Indikator").value == "gdp_per_inhabitant_eur"
    assert _notice(at) == ""
    at = open_app("views/trends.py", regions="09162", ind="gdp_per_inhabitant_eur")
    assert widget(at.selectbox, "Thema").value == "economy" and widget(at.selectbox, "Indikator").value == "gdp_per_inhabitant_eur"
    at = open_app("views/vergleich.py", regions="09162,05315", ind="gdp_per_inhabitant_eur")
    assert widget(at.selectbox, "Indikator").value == "gdp_per_inhabitant_eur"


def test_list_values_left_out_are_named_in_english(open_app):
    at = open_app("views/vergleich.py", lang="en", regions="09162", peers="type,bogus")
    assert widget(at.multiselect, "Peer group").value == ["type"]
    assert "'peers=bogus' left out" in _notice(at)


def test_the_map_permalink_names_the_map_page(open_app):
    at = open_app("views/karte.py", level="land")
    links = [m.value for m in at.markdown if "/karte?" in m.value]
    assert links, [m.value for m in at.markdown][:5]


def test_manual_classes_without_breaks_say_that_quantiles_are_shown(open_app):
    from dashboard.map_ui import parse_breaks

    at = open_app("views/karte.py", level="land", cls="manual")
    assert any("noch keine Grenzen" in w.value for w in at.warning)
    at = open_app("views/karte.py", level="land", cls="manual", breaks="60; 40")
    assert any("keine aufsteigenden Zahlen" in w.value for w in at.warning)
    assert parse_breaks("20; 40,5; 60") == [20.0, 40.5, 60.0]
    assert parse_breaks("") is None and parse_breaks("a; b") is None and parse_breaks("5; 5") is None
