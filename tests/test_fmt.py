"""The formatting module (dashboard/fmt.py): numbers, percentages, amounts,
compact numbers, dates, periods and axis ticks in German and English."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import fmt


@pytest.mark.parametrize(
    ("value", "decimals", "de", "en"),
    [
        (1750, 0, "1.750", "1,750"),
        (22.5, 1, "22,5", "22.5"),
        (6000, 0, "6.000", "6,000"),
        (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
        (83_019_213, 0, "83.019.213", "83,019,213"),
        (0.46, 2, "0,46", "0.46"),
        (-1234.5, 1, "−1.234,5", "−1,234.5"),
        (-0.04, 1, "0,0", "0.0"),  # rounds to zero: no sign
        (0, 0, "0", "0"),
        (np.float64(3.460000000000008), 2, "3,46", "3.46"),
    ],
)
def test_number_in_both_languages(value, decimals, de, en):
    assert fmt.number(value, decimals, "de") == de
    assert fmt.number(value, decimals, "en") == en


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_values_say_no_data(missing):
    assert fmt.number(missing, 1, "de") == "keine Daten"
    assert fmt.number(missing, 1, "en") == "no data"
    assert fmt.percent(missing, 1, "de") == "keine Daten"
    assert fmt.with_unit(missing, 1, "%", "en") == "no data"
    assert fmt.compact(missing, "de") == "keine Daten"
    assert fmt.amount_eur(missing, "en") == "no data"
    assert fmt.date(missing, "de") == "keine Daten"
    assert fmt.period(missing, "year", "en") == "no data"


def test_signed_trimmed_integer_and_infinite():
    assert fmt.number(2.5, 1, "de", signed=True) == "+2,5"
    assert fmt.number(-2.5, 1, "en", signed=True) == "−2.5"
    assert fmt.number(0.0, 1, "de", signed=True) == "0,0"
    assert fmt.number(2.50, 2, "de", trim=True) == "2,5"
    assert fmt.number(3.0, 2, "en", trim=True) == "3"
    assert fmt.number(1200.0, 1, "de", trim=True) == "1.200"
    assert fmt.integer(4.0, "de") == "4"  # a rank is never "4.0"
    assert fmt.integer(10957, "de") == "10.957"
    assert fmt.number(float("inf"), 1, "de") == "∞"


def test_percent_unit_and_amount():
    assert fmt.percent(22.5, 1, "de") == "22,5\u202f%"
    assert fmt.percent(22.5, 1, "en") == "22.5%"
    assert fmt.percent(-1.25, 1, "de", signed=True) == "−1,2\u202f%"  # half to even, like Python's format
    assert fmt.with_unit(1750, 0, "Ladepunkte", "de") == "1.750 Ladepunkte"
    assert fmt.with_unit(22.5, 1, "%", "en") == "22.5%" and fmt.with_unit(22.5, 1, "%", "de") == "22,5\u202f%"
    assert fmt.with_unit(9.6, 1, "", "en") == "9.6"
    assert fmt.amount_eur(1_234_567, "de") == "1,2 Mio. EUR"
    assert fmt.amount_eur(1_234_567, "en") == "1.2 million EUR"


@pytest.mark.parametrize(
    ("value", "de", "en"),
    [
        (35_000, "35\u00a0Tsd.", "35k"),
        (1_200_000, "1,2\u00a0Mio.", "1.2M"),
        (83_019_213, "83\u00a0Mio.", "83M"),
        (3_400_000_000, "3,4\u00a0Mrd.", "3.4bn"),
        (-35_000, "−35\u00a0Tsd.", "−35k"),
        (950, "950", "950"),
        (2.5, "2,5", "2.5"),
    ],
)
def test_compact(value, de, en):
    assert fmt.compact(value, "de") == de
    assert fmt.compact(value, "en") == en


def test_dates_and_periods():
    assert fmt.date("2023-12-31", "de") == "31.12.2023"
    assert fmt.date(pd.Timestamp("2023-12-31"), "en") == "2023-12-31"
    assert fmt.period("2019-06-30", "half_year", "de") == "Mitte 2019"
    assert fmt.period("2019-12-31", "half_year", "en") == "end 2019"
    assert fmt.period("2019-12-31", "year", "de") == "2019"
    assert fmt.period("2020-01-01", "year", "de") == "01.01.2020"
    assert fmt.period("2020-01-01", "year", "en") == "1 Jan 2020"
    assert fmt.period("2021-06-30", "date", "de") == "30.06.2021"
    assert fmt.period("2021-06-30", "date", "en") == "2021-06-30"


def test_plotly_settings():
    assert fmt.separators("de") == ",."  # decimal comma, thousands dot
    assert fmt.separators("en") == ".,"
    assert fmt.locale_tag("de") == "de-DE"
    assert fmt.d3_number(1) == ",.1f"
    assert fmt.d3_number() == ",.2~f"
    assert fmt.d3_date("de") == "%d.%m.%Y"
    assert "s" not in fmt.AXIS_TICKFORMAT  # never SI suffixes ("35k")


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        fmt.number(1, 1, "fr")


@pytest.mark.parametrize(
    ("lo", "hi", "de", "en"),
    [
        (0, 35_000, ["0", "5\u00a0Tsd.", "10\u00a0Tsd.", "15\u00a0Tsd.", "20\u00a0Tsd.", "25\u00a0Tsd.", "30\u00a0Tsd.", "35\u00a0Tsd."], ["0", "5k", "10k", "15k", "20k", "25k", "30k", "35k"]),
        (0, 1.2e6, ["0", "0,2\u00a0Mio.", "0,4\u00a0Mio.", "0,6\u00a0Mio.", "0,8\u00a0Mio.", "1,0\u00a0Mio.", "1,2\u00a0Mio."], ["0", "0.2M", "0.4M", "0.6M", "0.8M", "1.0M", "1.2M"]),
        (5900, 6000, ["5.900", "5.920", "5.940", "5.960", "5.980", "6.000"], ["5,900", "5,920", "5,940", "5,960", "5,980", "6,000"]),
        (0, 0.46, ["0", "0,1", "0,2", "0,3", "0,4"], ["0", "0.1", "0.2", "0.3", "0.4"]),
        (-3, 7, ["−2", "0", "2", "4", "6"], ["−2", "0", "2", "4", "6"]),
    ],
)
def test_axis_ticks(lo, hi, de, en):
    ticks = fmt.nice_ticks(lo, hi)
    assert fmt.tick_labels(ticks, "de") == de
    assert fmt.tick_labels(ticks, "en") == en


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_german_number_reads_back_as_the_rounded_value(value, decimals):
    text = fmt.number(value, decimals, "de")
    back = float(text.replace("−", "-").replace(".", "").replace(",", "."))
    assert math.isclose(back, float(f"{value:.{decimals}f}"), abs_tol=0.5 * 10**-decimals)
    assert fmt.number(value, decimals, "en").replace(",", "") == text.replace(".", "").replace(",", ".")


@given(st.floats(min_value=-1e10, max_value=1e10, allow_nan=False), st.floats(min_value=1e-3, max_value=1e10))
def test_ticks_lie_inside_the_range_and_their_labels_differ(lo, span):
    hi = lo + span
    ticks = fmt.nice_ticks(lo, hi)
    assert ticks and all(lo - 1e-6 * span <= x <= hi + 1e-6 * span for x in ticks)
    for lang in ("de", "en"):
        labels = fmt.tick_labels(ticks, lang)
        assert len(set(labels)) == len(labels), labels


def test_columns_as_text_for_tables_on_a_page():
    frame = pd.DataFrame({"name": ["A", "B"], "value": [1750.25, np.nan], "rank": [4.0, np.nan]})
    shown = fmt.columns_as_text(frame, {"value": 1, "rank": 0}, "de")
    assert shown.to_dict("list") == {"name": ["A", "B"], "value": ["1.750,2", "keine Daten"], "rank": ["4", "keine Daten"]}
    assert frame["value"].dtype == float  # the frame itself (the download) keeps numbers
    with pytest.raises(KeyError, match="no column 'missing'"):
        fmt.columns_as_text(frame, {"missing": 0}, "en")


def test_counts_in_labels_follow_the_language():
    import streamlit

    from dashboard import i18n

    try:
        streamlit.session_state["lang"] = "de"
        assert i18n.t("not_reported_note", n=10957).startswith("10.957 Regionen")
        assert i18n.t("built", built=2026, code="abc") == "Datenstand: gebaut am 2026, Code abc"  # not a count: as given
        from dashboard import region_profile  # noqa: F401  (registers the Steckbrief's labels)

        assert i18n.t("sb_rank", rank=1234, n=np.int64(10957)) == "Rang 1.234 von 10.957"
        streamlit.session_state["lang"] = "en"
        assert i18n.t("not_reported_note", n=10957).startswith("10,957 regions")
        assert i18n.fmt_number(float("nan")) == "no data"
    finally:
        streamlit.session_state["lang"] = "de"


def test_published_class_labels_in_english():
    assert fmt.label_text("≥ 500.000", "en") == "≥ 500,000"
    assert fmt.label_text("100.000–200.000", "en") == "100,000–200,000"
    assert fmt.label_text("2–5 Mio.", "en") == "2–5 million"
    assert fmt.label_text("2,5 Mio.", "en") == "2.5 million"
    assert fmt.label_text("≥ 500.000", "de") == "≥ 500.000"


def test_a_title_says_its_unit_once():
    assert fmt.title_and_unit("Breitband ≥ 50 Mbit/s", "%") == "Breitband ≥ 50 Mbit/s (%)"
    assert fmt.title_and_unit("Ladepunkte je 10.000 Einwohner", "je 10.000 Einwohner") == "Ladepunkte je 10.000 Einwohner"
    assert fmt.title_and_unit("Charging points per 10,000 inhabitants", "per 10,000 Inhabitants") == "Charging points per 10,000 inhabitants"
    assert fmt.title_and_unit("Fläche", "") == "Fläche"
