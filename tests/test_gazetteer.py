"""The gazetteer (etl.gazetteer): one search for every search box, one label
for every list, and the same answer on every page."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl import gazetteer
from etl.gazetteer import fold
from fixture_rows import region


REGIONS = pd.DataFrame(
    [
        region("DG", "bund", "Deutschland", "Bundesrepublik"),
        region("09", "land", "Bayern", "Freistaat", "09", nuts="DE2"),
        region("08", "land", "Baden-Württemberg", "Land", "08"),
        region("16", "land", "Thüringen", "Freistaat", "16"),
        region("12", "land", "Brandenburg", "Land", "12"),
        region("06", "land", "Hessen", "Land", "06"),
        region("05", "land", "Nordrhein-Westfalen", "Land", "05"),
        region("03", "land", "Niedersachsen", "Land", "03"),
        region("09162", "kreis", "München", "Kreisfreie Stadt", "09", "09162", nuts="DE212"),
        region("09184", "kreis", "München", "Landkreis", "09", "09184", nuts="DE21H"),
        region("09162000", "gemeinde", "München", "Stadt", "09", "09162"),
        region("09184119", "gemeinde", "Unterschleißheim", "Stadt", "09", "09184"),
        region("09184147", "gemeinde", "Garching b.München", "Stadt", "09", "09184"),
        region("05117", "kreis", "Mülheim an der Ruhr", "Kreisfreie Stadt", "05", "05117"),
        region("16076", "kreis", "Greiz", "Landkreis", "16", "16076"),
        region("16076049", "gemeinde", "Münchenbernsdorf", "Stadt", "16", "16076"),
        region("03159", "kreis", "Göttingen", "Landkreis", "03", "03159"),
        region("03159016", "gemeinde", "Göttingen", "Stadt", "03", "03159"),
        region("12053", "kreis", "Frankfurt (Oder)", "Kreisfreie Stadt", "12", "12053"),
        region("06412", "kreis", "Frankfurt am Main", "Kreisfreie Stadt", "06", "06412"),
        region("08226", "kreis", "Rhein-Neckar-Kreis", "Landkreis", "08", "08226"),
        region("08226054", "gemeinde", "Mühlhausen", "Gemeinde", "08", "08226"),
        region("09373", "kreis", "Neumarkt i.d. OPf.", "Landkreis", "09", "09373"),
        region("09373146", "gemeinde", "Mühlhausen", "Gemeinde", "09", "09373"),
        region("16064", "kreis", "Unstrut-Hainich-Kreis", "Landkreis", "16", "16064"),
        region("16064046", "gemeinde", "Mühlhausen/Thüringen", "Stadt", "16", "16064"),
        region("08315", "kreis", "Breisgau-Hochschwarzwald", "Landkreis", "08", "08315"),
        region("08315003", "gemeinde", "Au", "Gemeinde", "08", "08315"),
    ]
)


@pytest.fixture(scope="module")
def index():
    return gazetteer.search_index(REGIONS)


def ids(index, query, **kw) -> list[str]:
    return list(gazetteer.search(index, query, **kw)["region_id"])


def test_fold_writes_umlauts_both_ways_and_drops_punctuation():
    assert fold("München") == "muenchen" and fold("München", "a") == "munchen"
    assert fold("Groß-Gerau") == "gross gerau"
    assert fold("  Garching b.München ") == "garching b muenchen"
    assert fold("Frankfurt (Oder)") == "frankfurt oder"
    assert fold("Île-de-France") == "ile de france"
    assert fold("Ærø") == "aeroe" and fold("Ærø", "a") == "aero"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("9162", ["09162"]), ("09162", ["09162"]), ("1", ["01"]), ("09162000", ["09162000"]), ("9162000", ["09162000"]), ("abc", []), ("", [])],
)
def test_key_candidates_restore_the_leading_zero(query, expected):
    assert gazetteer.key_candidates(query) == expected


@given(st.from_regex(r"0[1-9][0-9]{3}", fullmatch=True))
def test_a_kreis_key_that_lost_its_zero_is_found_again(key):
    assert key in gazetteer.key_candidates(key[1:])
    assert key in gazetteer.key_candidates(key)


@pytest.mark.parametrize("query", ["München", "Muenchen", "munchen", "MÜNCHEN", "münchen "])
def test_umlauts_typed_any_way_find_munich_first_larger_units_first(index, query):
    hits = gazetteer.search(index, query)
    assert list(hits["region_id"][:3]) == ["09162", "09184", "09162000"]
    assert hits["exact"][:3].all()
    rest = list(hits["region_id"][3:])
    assert "16076049" in rest and "09184147" in rest  # Münchenbernsdorf begins with it, Garching b.München contains it
    assert "05117" not in rest


def test_keys_exact_then_their_beginning_and_other_key_systems(index):
    assert ids(index, "9162") == ["09162"]  # the lost leading zero
    assert ids(index, " 09162 ")[:2] == ["09162", "09162000"]
    assert ids(index, "0918") == ["09184", "09184119", "09184147"]
    assert ids(index, "dg") == ["DG"]
    assert ids(index, "de212") == ["09162"]  # NUTS
    assert ids(index, "99999") == []


def test_typos_words_and_parts(index):
    assert ids(index, "Göttngen")[:2] == ["03159", "03159016"]
    assert ids(index, "Gottingen")[:2] == ["03159", "03159016"]
    assert ids(index, "Muenchn")[:2] == ["09162", "09184"]
    assert ids(index, "frankfurt oder") == ["12053"]  # Frankfurt am Main is another town
    assert {"12053", "06412"} <= set(ids(index, "Frankfurt"))
    assert ids(index, "ruhr") == ["05117"]
    assert ids(index, "schleiss") == ["09184119"]


def test_a_short_query_inside_a_longer_word_is_no_match(index):
    hits = ids(index, "Au")
    assert hits[0] == "08315003"
    assert not {"08226054", "09373146"} & set(hits)


def test_nothing_matches_and_the_limit_holds(index):
    for query in ("xyzzy", "", "   ", "!!!", "zzzzqqq"):
        assert ids(index, query) == []
    assert len(ids(index, "m", limit=2)) == 2


def test_ambiguous_names(index):
    hits = gazetteer.search(index, "Muehlhausen")
    assert gazetteer.ambiguous_name(hits) == "Mühlhausen"
    assert set(hits[hits["exact"]]["region_id"]) == {"08226054", "09373146"}
    assert "16064046" in set(hits["region_id"])  # Mühlhausen/Thüringen is listed too
    assert gazetteer.ambiguous_name(gazetteer.search(index, "Göttngen")) is None


def test_a_word_for_a_gemeindeverband_puts_the_verband_before_its_seat():
    regions = pd.DataFrame([
        region("07232", "kreis", "Eifelkreis Bitburg-Prüm", "Landkreis", "07", "07232"),
        region("07232201", "gemeinde", "Arzfeld", "Gemeinde", "07", "07232"),
        region("072325001", "verband", "Arzfeld", "Verbandsgemeinde", "07", "07232"),
        region("01053020", "gemeinde", "Büchen", "Gemeinde", "01", "01053"),
        region("010535318", "verband", "Büchen", "Amt", "01", "01053"),
    ])
    index = gazetteer.search_index(regions)
    assert ids(index, "Arzfeld")[:2] == ["07232201", "072325001"]  # the name alone: the Gemeinde first
    for query in ("VG Arzfeld", "Verbandsgemeinde Arzfeld", "Arzfeld, VG"):
        assert ids(index, query)[0] == "072325001", query
    assert ids(index, "Amt Buchen")[0] == "010535318"
    assert gazetteer.verband_name(["vg", "arzfeld"]) == (("vg",), "arzfeld") and gazetteer.verband_name(["amt"]) is None


def test_labels_tell_apart_places_of_the_same_name():
    labels = gazetteer.labels(REGIONS)
    assert labels["09162"] == "München (Kreisfreie Stadt, Bayern; 09162)"
    assert labels["09184"] == "München (Landkreis, Bayern; 09184)"
    assert labels["09162000"] == "München (Stadt, Bayern; 09162000)"  # its Kreis has its name
    assert labels["08226054"] == "Mühlhausen (Gemeinde, Rhein-Neckar-Kreis, Baden-Württemberg; 08226054)"
    assert labels["09373146"] == "Mühlhausen (Gemeinde, Landkreis Neumarkt i.d. OPf., Bayern; 09373146)"
    assert labels["09"] == "Bayern (Freistaat; 09)"
    assert labels["DG"] == "Deutschland"


def test_kreis_label():
    assert gazetteer.kreis_label("Cham", "Landkreis") == "Landkreis Cham"
    assert gazetteer.kreis_label("Rhein-Neckar-Kreis", "Landkreis") == "Rhein-Neckar-Kreis"
    assert gazetteer.kreis_label("München", "Kreisfreie Stadt") == "München"


# ---------------------------------------------------------------- the real build, every page


def test_real_search(warehouse):
    index = gazetteer.search_index(warehouse.table("regions"))
    assert ids(index, "Munchen")[0] == "09162"
    assert ids(index, "Göttngen")[0] == "03159"
    assert ids(index, "frankfurt oder")[0] == "12053"
    assert ids(index, "9162") == ["09162"]
    hits = gazetteer.search(index, "Mühlhausen")
    assert gazetteer.ambiguous_name(hits) == "Mühlhausen" and hits["exact"].sum() >= 3


@pytest.mark.parametrize(("query", "first"), [("Göttngen", "03159"), ("Mühlhausen", "08226054"), ("9162", "09162"), ("Unterschleissheim", "09184149")])
def test_the_same_search_answer_on_every_page(open_app, query, first):
    """A Kreis and Gemeinden typed into the search box of Steckbrief, Vergleich
    and Trends: the same regions in the same order (the gazetteer's)."""
    from apptest_helpers import widget

    box = "Region suchen (Name oder Schlüssel)"
    answers = {}
    for page in ("views/vergleich.py", "views/trends.py"):
        at = open_app(page)
        widget(at.text_input, box).set_value(query).run()
        assert not at.exception
        answers[page] = [o for o in widget(at.multiselect, "Regionen").options]
    at = open_app("views/steckbrief.py")
    widget(at.text_input, box).set_value(query).run()
    assert not at.exception
    chosen = widget(at.selectbox, "Region")
    answers["views/steckbrief.py"] = list(chosen.options)
    assert chosen.value == first
    assert answers["views/vergleich.py"] == answers["views/trends.py"] == answers["views/steckbrief.py"], answers
