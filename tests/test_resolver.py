"""The resolver: published names → official keys, refusal with candidates.

Fixtures: the real regions (``kit_regions``, status 2021-01-01) for the hard
names of the registries, and ``tests/data/registries/regions_invented.csv``, an
invented country (Länder 91 and 92) whose namesakes, brackets, slashes,
abbreviations and administrative words exercise each rule in isolation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from etl import paths
from etl.registry_import import IMPORT_LEVELS
from etl.resolver import (
    CITY_TYPES,
    AmbiguousName,
    Context,
    ResolutionError,
    Resolver,
    UnknownName,
    clean_text,
    comma_suffix,
    normalise_name,
    read_overrides,
    split_names,
)

FIXTURES = Path(__file__).parent / "data" / "registries"


@pytest.fixture(scope="module")
def invented() -> Resolver:
    regions = pd.read_csv(FIXTURES / "regions_invented.csv", dtype={"region_id": str, "land_id": str, "kreis_id": str})
    return Resolver(regions)


@pytest.fixture(scope="module")
def kit(kit_regions) -> Resolver:
    return Resolver.from_files(kit_regions)


@pytest.fixture(scope="module")
def kit_plain(kit_regions) -> Resolver:
    """The real regions without the override file: what the rules alone decide."""
    return Resolver(kit_regions)


def ids(resolved) -> list[str]:
    return [c.region_id for c in resolved.regions]


# ---------------------------------------------------------------- normalisation and splitting


@pytest.mark.parametrize(
    "published, official",
    [
        ("Freiburg i. Br.", "Freiburg im Breisgau"),
        ("Freiburg i.Br.", "Freiburg im Breisgau"),
        ("MÜNCHEN", "muenchen"),
        ("Gießen", "Giessen"),
        ("St. Wendel", "Sankt Wendel"),
        ("Weiden i.d. OPf.", "Weiden in der Oberpfalz"),
        ("Kirchheim b. München", "Kirchheim bei München"),
        ("Frankfurt a. d. Oder", "Frankfurt an der Oder"),
        ("Halle (Westf.)", "Halle Westfalen"),
        ("Wiesenburg/Mark", "Wiesenburg Mark"),
        ("Bitburg-Prüm", "Bitburg Prüm"),
    ],
)
def test_normalisation_makes_spellings_equal(published, official):
    assert normalise_name(published) == normalise_name(official)


@pytest.mark.parametrize(
    "published, members",
    [
        ("Kooperation Arnsberg, Olpe, Menden, Soest und Bad Berleburg", ["Arnsberg", "Olpe", "Menden", "Soest", "Bad Berleburg"]),
        ("Hamburg in Kooperation mit Leipzig und München", ["Hamburg", "Leipzig", "München"]),
        ("Aalen und Heidenheim an der Brenz", ["Aalen", "Heidenheim an der Brenz"]),
        ("Bad Belzig und Gemeinde Wiesenburg/Mark", ["Bad Belzig", "Gemeinde Wiesenburg/Mark"]),
        ("Interkommunale Kooperation von Nordstadt sowie Südstadt", ["Nordstadt", "Südstadt"]),
        ("Solingen", ["Solingen"]),
    ],
)
def test_cooperations_split_lead_first(published, members):
    assert split_names(published) == members


# ---------------------------------------------------------------- invented regions: one rule at a time


@pytest.mark.parametrize(
    "name, context, expected, method",
    [
        ("Neustadt an der Heide", Context(), ["91051011"], "name"),  # "a. d." written out in the official name
        ("Seebrück", Context(), ["91001000"], "name"),  # a town's project: the Gemeinde, not the Kreis
        ("Landkreis Seebrück", Context(), ["91051"], "name"),  # not the kreisfreie Stadt of the same name
        ("Kreisfreie Stadt Seebrück", Context(), ["91001000"], "name"),
        ("Seebrück", Context(levels=("kreis",)), None, None),  # two Kreise of that name: refused (below)
        ("Landkreis Birkental", Context(), ["92061"], "name"),  # "Birkental i. Oberland" answers to its short form
        ("Birkental", Context(), ["92061021"], "name"),
        ("Lindenau (Oberland)", Context(), ["92061024"], "name"),  # bracket = slash part of "Lindenau/Oberland"
        ("Wehrlingen", Context(), ["91051013"], "name"),  # official name "Stadt Wehrlingen"
        ("Stadt Wehrlingen", Context(), ["91051013"], "name"),
        ("Kreis Ennetal", Context(), ["92062"], "name"),  # official "Ennetal-Kreis"
        ("Markt Großkirchen", Context(), ["92062001"], "name"),
        ("Forst", Context(), ["92061025"], "name"),  # the only short form "Forst" of "Forst am Berg"
        ("Nordmark", Context(), ["91"], "name"),
        ("Freistaat Südmark", Context(), ["92"], "name"),
        ("91051011", Context(), ["91051011"], "key"),
        ("91051", Context(), ["91051"], "key"),
        ("Neustadt", Context(land_id="91"), ["91051011"], "land"),
        ("Lindenau", Context(lat=48.36, lon=11.58), ["92061024"], "coordinates"),
    ],
)
def test_invented_names_resolve_by_rule(invented, name, context, expected, method):
    if expected is None:
        with pytest.raises(AmbiguousName):
            invented.resolve(name, context)
        return
    resolved = invented.resolve(name, context)
    assert ids(resolved) == expected
    assert resolved.method == method


def test_namesakes_are_refused_with_every_candidate(invented):
    with pytest.raises(AmbiguousName) as err:
        invented.resolve("Neustadt")
    assert sorted(c.region_id for c in err.value.candidates) == ["91051011", "92061022", "92061023"]
    for key in ("91051011", "92061022", "92061023"):
        assert key in str(err.value)


def test_land_context_that_leaves_two_still_refuses(invented):
    with pytest.raises(AmbiguousName) as err:
        invented.resolve("Neustadt", Context(land_id="92"))
    assert sorted(c.region_id for c in err.value.candidates) == ["92061022", "92061023"]


def test_a_point_far_from_every_namesake_decides_nothing(invented):
    with pytest.raises(AmbiguousName):
        invented.resolve("Lindenau", Context(lat=51.0, lon=7.0))


def test_unknown_names_and_keys_are_refused(invented):
    with pytest.raises(UnknownName):
        invented.resolve("Atlantis")
    with pytest.raises(UnknownName):
        invented.resolve("93001")
    with pytest.raises(UnknownName):
        invented.resolve("   ")


# ---------------------------------------------------------------- the hard names of the kit


@pytest.mark.parametrize(
    "name, context, expected",
    [
        ("Freiburg i. Br.", Context(levels=("gemeinde",)), ["08311000"]),
        ("Kempten (Allgäu)", Context(levels=("gemeinde",)), ["09763000"]),
        ("Halle (Saale)", Context(levels=("gemeinde",)), ["15002000"]),
        ("Landkreis Wunsiedel", Context(levels=("gemeinde", "kreis")), ["09479"]),  # officially "Wunsiedel i. Fichtelgebirge"
        ("Landkreis Hof", Context(levels=("gemeinde", "kreis")), ["09475"]),  # not the kreisfreie Stadt Hof 09464
        ("Kreis Höxter", Context(levels=("gemeinde", "kreis")), ["05762"]),
        ("Eifelkreis Bitburg-Prüm", Context(levels=("gemeinde", "kreis")), ["07232"]),
        ("Landkreis St. Wendel", Context(levels=("gemeinde", "kreis")), ["10046"]),
        ("Kirchheim b. München", Context(levels=("gemeinde",)), ["09184131"]),
        ("Gemeinde Wiesenburg/Mark", Context(levels=("gemeinde",)), ["12069665"]),
        ("Heidenheim an der Brenz", Context(levels=("gemeinde",)), ["08135019"]),
        ("Menden", Context(levels=("gemeinde",)), ["05962040"]),  # "Menden (Sauerland)"
        ("Mühlhausen (Thüringen)", Context(), ["16064046"]),
        ("Schleswig-Flensburg", Context(), ["01059"]),
        ("Saarland", Context(), ["10"]),
        ("muenchen", Context(), ["09162000"]),  # a codefor lab slug
        ("9162", Context(), ["09162"]),  # a Kreis key that lost its leading zero
        ("09162000", Context(), ["09162000"]),
    ],
)
def test_hard_names_of_the_registries(kit, name, context, expected):
    assert ids(kit.resolve(name, context)) == expected


def test_bare_muehlhausen_is_refused_with_candidates_without_the_override(kit_plain):
    with pytest.raises(AmbiguousName) as err:
        kit_plain.resolve("Mühlhausen", Context(levels=("gemeinde",)))
    keys = {c.region_id for c in err.value.candidates}
    assert {"16064046", "08226054", "09373146", "09572143"} <= keys
    assert "16064046 Mühlhausen/Thüringen" in err.value.message


def test_override_decides_muehlhausen_for_mpsc_only(kit):
    resolved = kit.resolve("Mühlhausen", Context(registry="mpsc", levels=("gemeinde",)))
    assert ids(resolved) == ["16064046"] and resolved.method == "override"
    assert "Bollstedt" in resolved.note  # the reason travels with the result
    with pytest.raises(AmbiguousName):
        kit.resolve("Mühlhausen", Context(registry="verein-xy", levels=("gemeinde",)))


@pytest.mark.parametrize(
    "name, context, candidates",
    [
        ("Frankfurt", Context(), {"06412000", "12053000"}),
        ("Oldenburg", Context(levels=("gemeinde",)), {"01055033", "03403000"}),
        ("Oldenburg", Context(), {"01055033", "03403000", "03458"}),
        ("Münster", Context(levels=("gemeinde",)), {"05515000", "06432015", "09779187"}),
    ],
)
def test_ambiguous_kit_names_list_their_candidates(kit_plain, name, context, candidates):
    with pytest.raises(AmbiguousName) as err:
        kit_plain.resolve(name, context)
    assert {c.region_id for c in err.value.candidates} == candidates


def test_context_decides_between_namesakes(kit_plain):
    near_oder = Context(lat=52.34, lon=14.55)
    assert ids(kit_plain.resolve("Frankfurt", near_oder)) == ["12053000"]
    assert ids(kit_plain.resolve("Frankfurt", Context(land_id="06"))) == ["06412000"]
    # a "Großstadt" is a Stadt: the two villages called Münster do not qualify
    big = Context(levels=("gemeinde",), prefer_types=CITY_TYPES)
    resolved = kit_plain.resolve("Münster", big)
    assert ids(resolved) == ["05515000"] and resolved.method == "category"


def test_unknown_name_suggests_close_names_but_never_resolves_them(kit_plain):
    with pytest.raises(UnknownName) as err:
        kit_plain.resolve("Mühlhausn")
    assert err.value.candidates, "a typo should come with suggestions"
    assert {"08226054", "09373146", "09572143"} <= {c.region_id for c in err.value.candidates}


# ---------------------------------------------------------------- the override file


def test_override_file_fits_the_regions_and_gives_reasons(kit, kit_regions):
    frame = read_overrides(paths.RESOLVER_OVERRIDES_FILE)
    assert (frame["reason"].str.len() > 20).all()
    names = dict(zip(kit_regions["region_id"], kit_regions["name"]))
    for row in frame.itertuples():
        assert names[row.key] == row.key_name
    by_name = {o.name: o for o in kit.overrides}
    ruhr = kit_regions.set_index("region_id").loc[list(by_name["Ruhrgebiet"].keys)]
    assert (ruhr["type"] == "Kreisfreie Stadt").sum() == 11 and (ruhr["type"] == "Kreis").sum() == 4
    rhein_neckar = kit_regions.set_index("region_id").loc[list(by_name["Verband Region Rhein-Neckar"].keys)]
    assert set(rhein_neckar["land_id"]) == {"08", "06", "07"} and (rhein_neckar["level"] == "kreis").all()


def test_an_override_with_a_wrong_key_name_is_refused(kit_regions):
    bad = pd.DataFrame([{"name": "Testort", "context": "*", "key": "09162000", "key_name": "Hamburg", "reason": "typo test"}])
    with pytest.raises(ValueError, match="09162000 is 'München', not 'Hamburg'"):
        Resolver(kit_regions, bad)
    no_reason = pd.DataFrame([{"name": "Testort", "context": "*", "key": "09162000", "key_name": "München", "reason": ""}])
    with pytest.raises(ValueError, match="without a reason"):
        Resolver(kit_regions, no_reason)


def test_resolution_error_is_one_exception_type(invented):
    with pytest.raises(ResolutionError):
        invented.resolve("Neustadt")
    with pytest.raises(ResolutionError):
        invented.resolve("Atlantis")


# ---------------------------------------------------------------- name forms of association registries (issue 11)

REGISTRY = Context(registry="verein-xy", levels=("gemeinde", "kreis", "land", "bund"))
REGISTRY_WITH_VERBAND = Context(registry="verein-xy", levels=IMPORT_LEVELS)  # the import's levels, Gemeindeverbände last


@pytest.mark.parametrize(
    "name, expected, method",
    [
        # a Land's exact name against a Gemeinde's shortened one
        ("Sachsen", ["14"], "name"),
        ("Brandenburg", ["12"], "name"),
        ("Stadt Brandenburg", ["12051000"], "name"),
        ("Sachsen bei Ansbach", ["09571196"], "name"),
        # "Stadt X": the one namesake that is a Stadt
        ("Stadt Hof", ["09464000"], "category"),
        ("Stadt Offenbach", ["06413000"], "category"),
        # official list forms "Name, Art"
        ("Hannover, Region", ["03241"], "name"),
        ("Aachen, Städteregion", ["05334"], "name"),
        ("Bonn, Stadt", ["05314000"], "name"),
        ("Lüneburg, Hansestadt", ["03355022"], "name"),
        ("Füssen, St", ["09777129"], "name"),
        # qualifiers written otherwise or not in the official name
        ("Münster (Westf.)", ["05515000"], "name"),
        ("Halle an der Saale", ["15002000"], "name"),
        ("Neustadt, Hessen", ["06534016"], "name"),
        ("Hohenlohe Kreis", ["08126"], "name"),
        # invisible characters from web pages: soft hyphen, zero-width space, NBSP, non-breaking hyphen
        ("Mecklen\u00adburg-Vorpommern", ["13"], "name"),
        ("Schles\u200bwig-Holstein", ["01"], "name"),
        ("Landkreis\u00a0Göttingen", ["03159"], "name"),
        ("Nordrhein\u2011Westfalen", ["05"], "name"),
        # umlauts typed without dots (ü as u), and as ue
        ("Dusseldorf", ["05111000"], "name"),
        ("Markisch-Oderland", ["12064"], "name"),
        ("Maerkisch-Oderland", ["12064"], "name"),
        ("Bunde", ["03457024"], "name"),  # a name that exists as typed is not read as Bünde
        # honorifics and administrations
        ("Klingenstadt Solingen", ["05122000"], "name"),
        ("Lutherstadt Wittenberg", ["15091375"], "name"),
        ("Hanse- und Universitätsstadt Rostock", ["13003000"], "name"),
        ("Wissenschaftsstadt Darmstadt", ["06411000"], "name"),
        ("Kreisverwaltung Mayen-Koblenz", ["07137"], "name"),
        ("Stadtverwaltung Trier", ["07211000"], "name"),
        ("Gemeindeverwaltung Kleinmachnow", ["12069304"], "name"),
        ("Landratsamt Konstanz", ["08335"], "name"),
        ("Freie Hansestadt Bremen", ["04"], "name"),
        ("Amt Neuhaus", ["03355049"], "name"),  # a Gemeinde whose name starts with "Amt"
        # city districts → the city
        ("Berlin-Mitte", ["11000000"], "district"),
        ("Friedrichshain-Kreuzberg", ["11000000"], "district"),
        ("Bezirksamt Pankow", ["11000000"], "district"),
        ("Hamburg-Harburg", ["02000000"], "district"),
        ("Köln-Ehrenfeld", ["05315000"], "district"),
        # Germany as a whole
        ("Deutschland", ["DG"], "name"),
        ("bundesweit", ["DG"], "name"),
        ("Bund", ["DG"], "name"),
        ("DG", ["DG"], "key"),
    ],
)
def test_registry_name_forms_resolve(kit_plain, name, expected, method):
    resolved = kit_plain.resolve(name, REGISTRY)
    assert (ids(resolved), resolved.method) == (expected, method)


@pytest.mark.parametrize(
    "name, candidates",
    [
        ("Stadt Halle", {"05754012", "15002000"}),  # two Städte called Halle
        ("Monheim, St", {"05158026", "09779186"}),  # both are Städte: the point or the Land decides
        ("Köln-Bonn", {"05315000", "05314", "05314000"}),  # two towns, not a part of Köln
        ("Frankfurt-Höchst", {"06412000", "12053000"}),  # a part of which Frankfurt?
        ("Harburg", {"09779155", "03353"}),  # the Hamburg Bezirk needs its city's name
        ("Lichtenberg", {"09475146", "14522340", "14625320"}),
    ],
)
def test_registry_name_forms_that_stay_ambiguous(kit_plain, name, candidates):
    with pytest.raises(AmbiguousName) as err:
        kit_plain.resolve(name, REGISTRY)
    assert candidates <= {c.region_id for c in err.value.candidates}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Verbandsgemeinde Kaisersesch", "071355002"),
        ("VG Arzfeld", "072325001"),
        ("Kaisersesch, VG", "071355002"),  # the form of official lists
        ("Samtgemeinde Bersenbrück", "034595402"),
        ("Samtgemeinde Harsefeld", "033595403"),
        ("Amt Büchen", "010535318"),
        ("Amt Buchen", "010535318"),  # umlaut typed without dots
        ("Amt Hüttener Berge", "010585890"),
        ("Hüttener Berge, Amt", "010585890"),
        ("Hüttener Berge", "010585890"),  # a name only the Verband carries
        ("Verwaltungsgemeinschaft Neustadt an der Waldnaab", "093745323"),
        ("Amt Arzfeld", "072325001"),  # the word names another kind: the one Verband of that name
        ("072325001", "072325001"),  # its 9-digit key
        ("72325001", "072325001"),  # … with the leading zero lost
    ],
)
def test_gemeindeverbaende_link_the_verband_level(kit_plain, name, key):
    resolved = kit_plain.resolve(name, REGISTRY_WITH_VERBAND)
    assert ids(resolved) == [key] and resolved.regions[0].level == "verband"


@pytest.mark.parametrize(
    ("name", "key"),
    [("Amt Neuhaus", "03355049"), ("Gemeinde Amt Neuhaus", "03355049"), ("Kaisersesch", "07135045"), ("Büchen", "01053020")],
)
def test_the_gemeinde_of_a_verbands_name_stays_the_gemeinde(kit_plain, name, key):
    """Without the word, the name is the Gemeinde (the seat); "Amt Neuhaus" is a Gemeinde's official name."""
    assert ids(kit_plain.resolve(name, REGISTRY_WITH_VERBAND)) == [key]


def test_a_verband_word_without_such_a_verband_is_refused_listing_the_seat(kit_plain):
    # VG Wallhalben merged into Thaleischweiler-Wallhalben in 2014: the Gemeinde is not the Verband.
    with pytest.raises(UnknownName) as err:
        kit_plain.resolve("VG Wallhalben", REGISTRY_WITH_VERBAND)
    assert "no Gemeindeverband" in err.value.message and "only its seat" in err.value.message
    assert "07340225" in [c.region_id for c in err.value.candidates]


def test_namesake_verbaende_are_decided_by_context_or_refused(kit_plain):
    with pytest.raises(AmbiguousName) as err:
        kit_plain.resolve("VG Altenstadt", REGISTRY_WITH_VERBAND)
    assert {c.region_id for c in err.value.candidates} == {"091905174", "097755740"}
    # "VG Neustadt": a shortened name of three Verbände of three kinds
    with pytest.raises(AmbiguousName):
        kit_plain.resolve("VG Neustadt", REGISTRY_WITH_VERBAND)


def test_germany_only_where_the_levels_allow_it(kit_plain):
    with pytest.raises(UnknownName, match="Germany as a whole"):
        kit_plain.resolve("Deutschland")  # the kit's registries: Länder, Kreise and Gemeinden


def test_the_resolver_folds_names_by_the_gazetteers_rule():
    from etl.gazetteer import fold

    for text in ("Düsseldorf", "Gießen", "Frankfurt (Oder)", "Bitburg-Prüm", "Ærø"):
        assert normalise_name(text) == fold(text)
        assert normalise_name(text, "a") == fold(text, "a")
    assert clean_text("Mecklen\u00adburg\u200b-\ufeffVorpommern\u00a0 ") == "Mecklenburg-Vorpommern"
    assert comma_suffix("Hannover, Region") == "region Hannover" and comma_suffix("Monheim, St") == "stadt Monheim"
    assert comma_suffix("Halle, Westf.") == "Halle, Westf."


@pytest.fixture(scope="module")
def with_shapes(warehouse) -> Resolver:
    import geopandas as gpd

    shapes = gpd.read_parquet(paths.table_path(warehouse.directory, "region_shapes"))
    return Resolver.from_files(warehouse.table("regions"), shapes=shapes)


@pytest.mark.parametrize(
    "name, lat, lon, expected",
    [
        ("Neustadt", 49.354, 8.139, "07316000"),  # an der Weinstraße
        ("Neustadt", 54.107, 10.815, "01055032"),  # in Holstein
        ("Monheim, St", 48.843, 10.857, "09779186"),  # the Bavarian one
        ("Oldenburg", 53.143, 8.214, "03403000"),  # the city, not the Landkreis Oldenburg around it
        ("Halle", 52.060, 8.360, "05754012"),
    ],
)
def test_a_point_decides_namesakes_by_the_shape_it_lies_in(with_shapes, name, lat, lon, expected):
    resolved = with_shapes.resolve(name, replace(REGISTRY, lat=lat, lon=lon))
    assert ids(resolved) == [expected] and resolved.method == "coordinates"


def test_a_point_in_the_gemeinde_makes_a_land_name_ambiguous(with_shapes):
    # A point in Brandenburg an der Havel: "Brandenburg" may be the city after all.
    with pytest.raises(AmbiguousName):
        with_shapes.resolve("Brandenburg", replace(REGISTRY, lat=52.41, lon=12.55))


def test_distance_of_a_point_to_a_region(with_shapes):
    assert with_shapes.distance_km("05911000", 51.48, 7.22) == 0.0  # Bochum centre
    assert 5 < with_shapes.distance_km("05911000", 51.514, 7.465) < 15  # Dortmund centre
