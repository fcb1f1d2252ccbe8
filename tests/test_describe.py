"""The text alternatives of charts (dashboard/describe.py) on small inline
frames, the figures' category count that turns a one-category chart into a
sentence, and the "keine Daten" of a comparison without a value in the chart,
its SVG export and its download."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts_compare, describe, export, fmt

INDICATORS = pd.DataFrame(
    {"title_de": ["Haushalte ≥ 50 Mbit/s", "Einwohner"], "title_en": ["Households ≥ 50 Mbit/s", "Population"],
     "unit": ["%", "Personen"], "unit_en": ["%", "persons"], "decimals": [1, 0]},
    index=pd.Index(["bb", "pop"], name="indicator_id"),
)


def ranking() -> pd.DataFrame:
    # Two Kreise share the name Fürth (Stadt and Landkreis): each keeps its own value.
    return pd.DataFrame(
        {
            "region_id": ["09563", "09573", "09162", "03159", "03154"],
            "name": ["Fürth", "Fürth", "München", "Göttingen", "Helmstedt"],
            "value": [99.1, 98.7, 1750.26, 12.04, None],
            "indicator_id": "bb",
            "period": "2021-06-30",
            "period_type": "half_year",
        }
    )


def test_ranking_names_extremes_period_and_missing_in_german():
    text = describe.text("bar", "Breitband, Mitte 2021", ranking(), describe.Shown(), "de", INDICATORS)
    assert text.startswith("Balkendiagramm: Breitband, Mitte 2021.")
    assert "Höchster Wert: München mit 1.750,3\u202f%" in text  # German thousands dot and decimal comma
    assert "niedrigster Wert: Göttingen mit 12,0\u202f%" in text
    assert "Keine Daten: Helmstedt." in text
    # Shared names get their key, and are never added up (99,1 + 98,7 would read as 197,8).
    assert "197,8" not in text
    assert "Zeitpunkt: Mitte 2021." in text


def test_ranking_in_english_and_the_period_said_once():
    shown = describe.Shown(period_text="mid 2021")
    text = describe.text("map", "Broadband, Kreise, mid 2021", ranking(), shown, "en", INDICATORS)
    assert text.startswith("Map: Broadband, Kreise, mid 2021.")
    assert "Highest value: München with 1,750.3%" in text and "lowest value: Göttingen with 12.0%" in text
    assert "No data: Helmstedt." in text
    assert "Period:" not in text  # the title says it already


def test_shared_names_get_their_key():
    frame = ranking().assign(value=[99.1, 12.0, 50.0, 60.0, 70.0])
    text = describe.text("bar", "T", frame, describe.Shown(), "de", INDICATORS)
    assert "Höchster Wert: Fürth (09563) mit 99,1\u202f%" in text
    assert "niedrigster Wert: Fürth (09573) mit 12,0\u202f%" in text


def test_ties_name_the_first_few_and_count_the_rest():
    frame = pd.DataFrame({"region_id": [f"0{i}" for i in range(1, 8)], "name": list("ABCDEFG"), "value": [100.0] * 6 + [3.0], "indicator_id": "bb"})
    text = describe.text("map", "T", frame, describe.Shown(), "de", INDICATORS)
    assert "Höchster Wert: A, B, C und 3 weitere mit 100,0\u202f%; niedrigster Wert: G mit 3,0\u202f%." in text


def test_missing_regions_are_listed_up_to_a_limit():
    frame = pd.DataFrame({"region_id": [f"{i:05d}" for i in range(14)], "name": [f"R{i}" for i in range(14)], "value": [1.0, 2.0] + [None] * 12, "indicator_id": "bb"})
    text = describe.text("map", "T", frame, describe.Shown(), "de", INDICATORS)
    assert "Keine Daten: R2, R3, R4, R5, R6, R7, R8, R9, R10, R11 und 2 weitere." in text


def test_time_series_span_and_points():
    frame = pd.DataFrame(
        {
            "label": ["München"] * 3 + ["Göttingen"] * 3 + ["Leer"] * 3,
            "period": ["2019-12-31", "2020-12-31", "2021-06-30"] * 3,
            "period_type": ["half_year"] * 9,
            "value": [90.0, 99.4, 99.4, 70.5, 80.0, 85.0, None, None, None],
            "indicator_id": "bb",
        }
    )
    text = describe.text("line", "Breitband", frame, describe.Shown(label="label"), "de", INDICATORS)
    assert "Zeitraum: Ende 2019 bis Mitte 2021." in text
    assert "Höchster Wert: München (Ende 2020, Mitte 2021) mit 99,4\u202f%" in text
    assert "niedrigster Wert: Göttingen (Ende 2019) mit 70,5\u202f%" in text
    assert "Keine Daten: Leer." in text


def test_several_indicators_one_after_another():
    frame = pd.DataFrame(
        {"indicator_id": ["pop", "pop", "bb", "bb"], "name": "München", "period": ["2017-12-31", "2018-12-31"] * 2, "value": [1_450_381.0, 1_471_508.0, 93.1, 99.4]}
    )
    text = describe.text("line", "Entwicklung", frame, describe.Shown(), "de", INDICATORS)
    assert "Einwohner: Zeitraum: 2017 bis 2018. Höchster Wert: München (2018) mit 1.471.508 Personen" in text
    assert "Haushalte ≥ 50 Mbit/s: Zeitraum: 2017 bis 2018. Höchster Wert: München (2018) mit 99,4\u202f%" in text


def test_stacked_parts_add_up_to_their_bar():
    frame = pd.DataFrame({"Sektor": ["Mobilität", "Mobilität", "Energie"], "Register": ["A", "B", "A"], "Projekte": [8, 4, 3]})
    shown = describe.Shown(label="Sektor", series="Register", value="Projekte", unit="Projekte", decimals=0)
    text = describe.text("bar", "Projekte nach Sektor", frame, shown, "de")
    assert "Höchster Wert: Mobilität mit 12 Projekte; niedrigster Wert: Energie mit 3 Projekte." in text
    one = describe.text(None, "Projekte nach Sektor", frame[frame["Sektor"] == "Mobilität"], shown, "de")
    assert one == "Projekte nach Sektor. Mobilität: 12 Projekte. Davon A: 8 Projekte; B: 4 Projekte."


def test_one_project_is_one_projekt():
    frame = pd.DataFrame({"Sektor": ["Mobilität", "Energie"], "Projekte": [1, 3]})
    shown = describe.Shown(label="Sektor", value="Projekte", unit="Projekte", unit_one="Projekt", decimals=0)
    text = describe.text("bar", "Projekte nach Sektor", frame, shown, "de")
    assert "Höchster Wert: Energie mit 3 Projekte; niedrigster Wert: Mobilität mit 1 Projekt." in text


def test_a_locator_map_names_its_regions():
    frame = pd.DataFrame({"region_id": ["09162"], "name": ["München"]})
    assert describe.text("map", "Lage: München", frame, describe.Shown(value=None), "en") == "Map: Lage: München. Highlighted: München."


def test_kind_and_title_from_the_figure():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    fig.update_layout(title="Einwohner &amp; Fläche<br><sup>2021</sup>")
    assert describe.kind_and_title(fig) == ("line", "Einwohner & Fläche 2021")


def test_categories_counts_bars_and_leaves():
    bars = go.Figure([go.Bar(y=["Mobilität"], x=[8], orientation="h"), go.Bar(y=["Mobilität"], x=[4], orientation="h")])
    assert describe.categories(bars) == 1  # one bar, stacked
    bars.add_trace(go.Bar(y=["Energie"], x=[3], orientation="h"))
    assert describe.categories(bars) == 2
    one_box = go.Figure(go.Treemap(ids=["mobility", "mobility|registry|a"], labels=["Mobilität", "A"], parents=["", "mobility"], values=[8, 8]))
    assert describe.categories(one_box) == 1
    assert describe.categories(go.Figure(go.Scatter(x=[1], y=[1]))) is None  # a line is still a chart


def gap_figure(lang: str = "de") -> go.Figure:
    frame = pd.DataFrame(
        {"label": ["München (09162)", "Helmstedt (03154)"], "value": [99.4, None], "text": ["99,4 (+1,0)", ""],
         "hover": ["", ""], "highlight": [True, False]}
    )
    return charts_compare.gap_bar_chart(frame, 98.4, "Breitband, Mitte 2021", "Quelle: X", "Breitband (%)", "Median: 98,4 %", fmt.no_data(lang), lang=lang)


def test_a_region_without_value_says_no_data_at_its_place():
    fig = gap_figure()
    marks = [a for a in fig.layout.annotations if a.name == "no_data"]
    assert [(a.text, a.y, a.x) for a in marks] == [("keine Daten", "Helmstedt (03154)", 0)]
    assert [a.text for a in gap_figure("en").layout.annotations if a.name == "no_data"] == ["no data"]


def test_the_exported_image_says_no_data():
    svg = export.figure_bytes(gap_figure(), "svg").decode("utf-8")
    assert "keine Daten" in svg and "Helmstedt (03154)" in svg


def test_the_download_says_no_data_where_a_value_is_missing():
    cat = export.Catalogue(
        INDICATORS.assign(source_ids="src"),
        pd.DataFrame({"name": ["München", "Helmstedt"]}, index=["09162", "03154"]),
        pd.DataFrame({"label_de": ["geheim"], "label_en": ["secret"]}, index=["."]),
        pd.DataFrame({"attribution": ["X"], "licence": ["dl-de/by-2-0"]}, index=["src"]),
    )
    frame = pd.DataFrame({"region_id": ["09162", "03154", "03159"], "value_b": [99.4, None, None], "flag_b": [None, None, "."]})
    out = export.describe(frame, cat, "de", "bb")
    meanings = lambda out: [None if pd.isna(x) else x for x in out["flag_b_meaning"]]  # noqa: E731
    assert meanings(out) == [None, "keine Daten", "geheim"]
    assert meanings(export.describe(frame, cat, "en", "bb")) == [None, "no data", "secret"]
