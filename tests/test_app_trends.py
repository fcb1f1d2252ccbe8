"""AppTest of the Trends page on the warehouse built from the real kit: selection,
absolute / indexed / per-inhabitant series, base period, context lines, series
breaks and flagged gaps, English, empty and invalid selections, permalink."""

from __future__ import annotations


import pytest
from apptest_helpers import captions, widget

PAGE = "views/trends.py"


@pytest.fixture
def app(open_app):
    return lambda **params: open_app(PAGE, **params)


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_empty_selection_asks_for_regions(app):
    at = app()
    assert [i.value for i in at.info] == ["Bitte wählen Sie mindestens eine Region (Suche oben)."]


def test_select_broadband_with_breaks_gaps_and_half_years(app):
    at = app()
    widget(at.text_input, "Region suchen (Name oder Schlüssel)").set_value("koeln").run()
    widget(at.multiselect, "Regionen").select("05315").run()
    assert not at.exception
    assert widget(at.selectbox, "Indikator").value == "bb_hh_all_50"
    assert at.query_params["regions"] == "05315"
    # The 2015 change of method is a dashed line, explained under the chart.
    md = _markdown(at)
    assert "Brüche in der Reihe (gestrichelte Linien)" in md and "Bruch 1" in md and "2015" in md
    assert any(c.value.startswith("Quelle") and "Breitbandatlas" in c.value for c in at.caption)
    # Indexed: half-years keep their labels in the base-period choice.
    widget(at.radio, "Darstellung").set_value("index").run()
    assert not at.exception
    base = widget(at.selectbox, "Basiszeitpunkt")
    assert "Mitte 2019" in base.options and "Ende 2019" in base.options and "2016" in base.options
    base.set_value("2019-06-30").run()
    assert not at.exception
    assert at.query_params["mode"] == "index" and at.query_params["base"] == "2019-06-30"
    # Per inhabitant makes no sense for a share: not offered.
    assert widget(at.radio, "Darstellung").options == ["absolut", "indexiert (Basis = 100)"]


def test_not_reported_values_are_gaps_with_a_note(app):
    # Thüringen's Kreise were "not reported" 2010–2014 (see the broadband caveats).
    at = app(regions="16051", ind="bb_hh_all_50", topic="broadband")
    assert "Lücken: nicht berichtet" in captions(at)


def test_context_lines_and_base_without_value(app):
    at = app(regions="16051,09162", ind="bb_hh_all_50", topic="broadband")
    pills = widget(at.pills, "Vergleichslinien")
    pills.set_value(["bund", "land"]).run()
    assert not at.exception
    assert at.query_params["ctx"] == "bund,land"
    widget(at.radio, "Darstellung").set_value("index").run()
    # Base 2012: Erfurt has no value then (not reported), Germany and the Länder have.
    widget(at.selectbox, "Basiszeitpunkt").set_value("2012-12-31").run()
    assert not at.exception
    assert any("Ohne Wert zum Basiszeitpunkt 2012" in w.value and "Erfurt" in w.value for w in at.warning)


def test_per_inhabitant(app):
    at = app(regions="09162,05315", topic="economy", ind="gdp_mio_eur")
    radio = widget(at.radio, "Darstellung")
    assert radio.options == ["absolut", "indexiert (Basis = 100)", "je Einwohner"]
    radio.set_value("per_capita").run()
    assert not at.exception
    caps = captions(at)
    assert "Je Einwohner: geteilt durch die Einwohnerzahl" in caps
    # VGRdL starts in 1992, the population in 2009 (Kreise, GENESIS): earlier values have none.
    assert "ohne Einwohnerzahl" in caps
    assert "Statistisches Bundesamt" in caps  # the population's source is named too
    # E-mobility counts: per 10,000 inhabitants, with Germany and the Land.
    at = app(regions="09162", topic="emobility", ind="ev_points", mode="per_capita", ctx="bund,land")
    assert not at.exception
    assert "Bevölkerung vom" in captions(at)


def test_english(app):
    at = app(lang="en", regions="09162", ind="bb_hh_all_50", topic="broadband")
    assert at.title[0].value == "Trends"
    assert widget(at.radio, "Mode").value == "absolute"
    assert any(c.value.startswith("Source") for c in at.caption)
    assert "Series breaks (dashed lines)" in _markdown(at)
    widget(at.radio, "Mode").set_value("index").run()
    assert not at.exception
    assert "mid 2019" in widget(at.selectbox, "Base period").options
    widget(at.pills, "Context lines").set_value(["bund"]).run()
    assert not at.exception and at.query_params["lang"] == "en"


def test_permalink_restores_the_view(app):
    at = app(regions="09162,05315", topic="economy", ind="gdp_mio_eur", mode="index", base="2000-12-31", ctx="bund")
    assert widget(at.multiselect, "Regionen").value == ["09162", "05315"]
    assert widget(at.selectbox, "Indikator").value == "gdp_mio_eur"
    assert widget(at.radio, "Darstellung").value == "index"
    assert widget(at.selectbox, "Basiszeitpunkt").value == "2000-12-31"
    assert widget(at.pills, "Vergleichslinien").value == ["bund"]
    link = [m.value for m in at.markdown if "Link zu dieser Ansicht" in m.value]
    assert link and "base=2000-12-31" in link[0] and "ctx=bund" in link[0]


def test_invalid_parameters_fall_back(app):
    at = app(regions="09162,nope", ind="bb_hh_all_50", topic="broadband", mode="per_capita", base="1700-01-01", ctx="mars")
    assert not at.exception
    assert widget(at.multiselect, "Regionen").value == ["09162"]
    assert widget(at.radio, "Darstellung").value == "absolute"  # per inhabitant is not offered for a share
    assert widget(at.pills, "Vergleichslinien").value == []
    # A Land only: no "Land" context line to offer.
    at = app(regions="09")
    assert widget(at.pills, "Vergleichslinien").options == ["Deutschland"]
    # Internet use exists for Germany and the Länder only: not offered for a Kreis.
    at = app(regions="09162", topic="internet", ind="internet_daily_users_pct")
    assert widget(at.selectbox, "Thema").value == "broadband"
    assert "internet" not in widget(at.selectbox, "Thema").options


def test_the_chart_has_a_description(app):
    from apptest_helpers import descriptions

    at = app(regions="09162,09184", topic="broadband", ind="bb_hh_all_50")
    [text] = descriptions(at)
    assert text.startswith("Liniendiagramm: Breitband Haushalte") and "Zeitraum: 2010 bis Mitte 2021." in text
    assert "Höchster Wert: München (09162) (Ende 2020, Mitte 2021) mit 99,4\u202f%" in text
    assert "niedrigster Wert: München (09184) (2015) mit 78,4\u202f%" in text
    [text] = descriptions(app(regions="09162,09184", topic="broadband", ind="bb_hh_all_50", lang="en"))
    assert "Period: 2010 to mid 2021." in text and "with 99.4%" in text
