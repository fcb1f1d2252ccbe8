"""The ETL's shared machinery: paths, key normalisation, aggregation, the
catalogue's completeness, atomic writes and the quarantine."""

from __future__ import annotations

import datetime as dt
import json
import os

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl import paths
from etl.aggregate import aggregate
from etl.catalogue import FLAGS, INDICATORS, SOURCES, SOURCES_BY_ID, TABLES, TABLES_BY_NAME, TOPICS
from etl.catalogue.model import LEVELS
from etl.errors import ValidationError
from etl.load import _write_table, prepare_table, read_manifest, write_warehouse
from etl.quarantine import Quarantine
from etl.regions import normalise_key
from etl.schema import arrow_schema, conform, validate

# --- paths -------------------------------------------------------------------


def test_raw_dir_prefers_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DSR_RAW_DIR", str(tmp_path))
    assert paths.raw_dir() == tmp_path.resolve()


def test_raw_dir_falls_back_to_the_kit_when_data_raw_is_empty(monkeypatch, tmp_path):
    monkeypatch.delenv("DSR_RAW_DIR", raising=False)
    empty = tmp_path / "raw"
    empty.mkdir()
    (empty / ".gitkeep").touch()
    kit = tmp_path / "shared" / "data"
    kit.mkdir(parents=True)
    (kit / "SOURCES.md").write_text("x")
    monkeypatch.setattr(paths, "DEFAULT_RAW_DIR", empty)
    monkeypatch.setattr(paths, "KIT_RAW_DIR", kit)
    assert paths.raw_dir() == kit
    (empty / "something.csv").write_text("a")
    assert paths.raw_dir() == empty


def test_warehouse_dir_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("DSR_WAREHOUSE", str(tmp_path / "wh"))
    assert paths.warehouse_dir() == (tmp_path / "wh").resolve()
    monkeypatch.delenv("DSR_WAREHOUSE")
    assert paths.warehouse_dir() == paths.DEFAULT_WAREHOUSE


# --- keys --------------------------------------------------------------------


@given(st.integers(min_value=1_000_000, max_value=16_999_999))
def test_gemeinde_key_from_a_number_gets_its_leading_zero_back(number):
    key = normalise_key(number, "gemeinde")
    assert key == str(number).zfill(8)
    assert len(key) == 8 and int(key) == number


@given(st.integers(min_value=1000, max_value=16999))
def test_kreis_key_from_float_and_text_agree(number):
    assert normalise_key(float(number), "kreis") == normalise_key(str(number), "kreis") == str(number).zfill(5)
    assert normalise_key(f"{number}.0", "kreis") == str(number).zfill(5)


@given(st.text(alphabet="0123456789", min_size=1, max_size=12), st.sampled_from(["land", "kreis", "gemeinde"]))
def test_normalised_keys_are_zero_padded_strings_or_none(text, level):
    key = normalise_key(text, level)
    length = {"land": 2, "kreis": 5, "gemeinde": 8}[level]
    if key is not None:
        assert len(key) == length and key.isdigit() and int(key) == int(text)


@pytest.mark.parametrize("value", ["", "abc", "01 001", None, float("nan"), 1001.5, "123456789"])
def test_non_keys_are_refused(value):
    assert normalise_key(value, "kreis") is None


def test_a_verband_key_that_lost_its_zero_is_restored_but_a_gemeinde_key_is_no_verband_key():
    assert normalise_key("71315002", "verband") == "071315002"
    assert normalise_key("09162000", "verband") is None
    assert normalise_key("071315002", "verband") == "071315002"


def test_a_key_cannot_lose_more_than_one_zero():
    # "1" is not Schleswig-Holstein's Flensburg 01001: too short to be a Kreis key.
    assert normalise_key("1", "kreis") is None
    assert normalise_key("1", "land") == "01"


# --- aggregation -------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.sampled_from(["01001000", "01002000", "01051001", "02000000", "03101000"]), st.integers(0, 10**6)),
        min_size=1,
        max_size=30,
        unique_by=lambda t: t[0],
    )
)
def test_sums_are_preserved_from_gemeinde_to_kreis_to_land_to_germany(rows):
    obs = pd.DataFrame(rows, columns=["region_id", "value"]).assign(indicator_id="population", period=pd.Timestamp("2017-12-31"))
    obs["value"] = obs["value"].astype(float)
    kreis = aggregate(obs, "kreis", rule="sum")
    land = aggregate(kreis, "land", rule="sum")
    germany = aggregate(land, "bund", rule="sum")
    assert kreis["value"].sum() == land["value"].sum() == germany["value"].sum() == obs["value"].sum()
    assert set(land["region_id"]) == {r[:2] for r, _ in rows}


def test_weighted_mean_needs_weights_and_weights_by_population():
    share = next(i.id for i in INDICATORS if i.aggregation == "mean_households") if any(i.aggregation == "mean_households" for i in INDICATORS) else None
    if share is None:
        pytest.skip("no household-weighted indicator declared")
    obs = pd.DataFrame({"indicator_id": share, "region_id": ["01001", "01002"], "period": "2020-12-31", "value": [100.0, 50.0]})
    with pytest.raises(ValueError):
        aggregate(obs, "land")
    out = aggregate(obs, "land", weights=pd.Series([1.0, 3.0]))
    assert out["value"].iloc[0] == pytest.approx(62.5)


def test_not_aggregatable_indicators_refuse():
    rule_none = [i.id for i in INDICATORS if i.aggregation == "none"]
    if not rule_none:
        pytest.skip("no non-aggregatable indicator declared")
    obs = pd.DataFrame({"indicator_id": rule_none[0], "region_id": ["01001"], "period": "2020-12-31", "value": [1.0]})
    with pytest.raises(ValueError, match="does not aggregate"):
        aggregate(obs, "land")


# --- the catalogue is complete -------------------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.id)
def test_every_source_is_fully_declared(source):
    for field in ("title", "publisher", "url", "licence", "licence_url", "attribution", "reference_date", "description_de", "description_en"):
        assert getattr(source, field).strip(), f"{source.id}: {field} is empty"
    assert source.files, f"{source.id}: no files"
    assert source.url.startswith("http")
    for raw in source.files:
        assert raw.url.startswith("http"), f"{source.id}: {raw.path} has no download URL"
    assert len(source.caveats_de) == len(source.caveats_en)


def test_every_indicator_is_fully_declared():
    assert INDICATORS, "no indicators declared"
    for ind in INDICATORS:
        where = f"indicator {ind.id}"
        for field in ("title_de", "title_en", "unit", "definition_de", "definition_en"):
            assert getattr(ind, field).strip(), f"{where}: {field} is empty"
        assert ind.topic in TOPICS, f"{where}: unknown topic {ind.topic}"
        assert ind.better in ("higher", "lower", "neutral")
        assert ind.aggregation in ("sum", "mean_population", "mean_households", "none")
        assert ind.source_ids and all(s in SOURCES_BY_ID for s in ind.source_ids), where
        assert ind.levels and set(ind.levels) <= set(LEVELS), where
        if ind.derived:
            assert ind.formula.strip(), f"{where}: derived without a formula"
        assert len(ind.caveats_de) == len(ind.caveats_en), where
        for b in ind.breaks:
            pd.Timestamp(b.date)
            assert b.explanation_de and b.explanation_en


def test_every_table_column_is_documented():
    for table in TABLES:
        assert table.description
        names = table.column_names
        assert len(names) == len(set(names)), table.name
        assert set(table.primary_key) <= set(names), table.name
        for col in table.columns:
            assert col.description.strip(), f"{table.name}.{col.name} undocumented"


def test_flags_are_bilingual_and_unique():
    codes = [f.code for f in FLAGS]
    assert len(codes) == len(set(codes))
    assert all(f.label_de and f.label_en for f in FLAGS)


# --- quarantine ----------------------------------------------------------------


def test_quarantine_requires_a_reason():
    q = Quarantine()
    with pytest.raises(ValueError):
        q.add(source_id="x", file="f.csv", reason="", target_table="observations")
    with pytest.raises(ValueError):
        q.add_frame(pd.DataFrame({"file": ["f"], "reason": [None]}), source_id="x", target_table="observations")
    q.add(source_id="x", file="f.csv", reason="bad", target_table="observations", line=3, column="ags", value=1.5)
    frame = q.to_frame()
    assert frame.loc[0, "line"] == 3 and frame.loc[0, "value"] == "1.5"


# --- the schema applied before writing -------------------------------------------

_KEYS = st.tuples(st.sampled_from(["population", "gdp_mio_eur", "bb_hh_50"]), st.sampled_from(["01", "02", "09162", "DG"]),
                  st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))


@given(keys=st.lists(_KEYS, unique=True, max_size=40), rnd=st.randoms(use_true_random=False))
def test_rows_are_written_in_key_order_with_the_declared_types(keys, rnd, tmp_path_factory):
    keys = list(keys)
    rnd.shuffle(keys)
    frame = pd.DataFrame({
        "indicator_id": pd.Series([k[0] for k in keys], dtype=object),  # Python strings, as steps build them
        "region_id": pd.Series([k[1] for k in keys], dtype="str"),
        "period": pd.Series([k[2] for k in keys], dtype=object),  # datetime.date
        "period_type": "year", "value": [float(i) if i % 3 else None for i in range(len(keys))],
        "flag": [None if i % 2 else "p" for i in range(len(keys))], "source_id": "destatis_genesis_12411",
        "source_file": pd.Series([f"f{i % 4}.csv" for i in range(len(keys))], dtype=object),
    })
    prepared = prepare_table("observations", frame)
    assert [(r.indicator_id, r.region_id, r.period.date()) for r in prepared.itertuples()] == sorted(keys)
    table = TABLES_BY_NAME["observations"]
    assert [str(prepared[c.name].dtype) for c in table.columns] == ["string", "string", "datetime64[ms]", "string", "float64", "string", "string", "string"]
    expected = frame.iloc[[keys.index(k) for k in sorted(keys)]]  # the rows moved whole
    for column in ("value", "flag", "source_file"):
        assert prepared[column].astype(object).where(prepared[column].notna(), None).tolist() == expected[column].astype(object).where(expected[column].notna(), None).tolist()
    out = tmp_path_factory.mktemp("written")
    written = pq.read_table(_write_table(out, "observations", prepared, "population"))
    assert written.schema == arrow_schema(table)
    assert list(zip(*(written.column(c).to_pylist() for c in ("indicator_id", "region_id", "period")))) == sorted(keys)


def test_text_and_dates_are_converted_as_pandas_converts_them():
    table = TABLES_BY_NAME["duplicates"]
    frame = pd.DataFrame({"source_id": ["a", "b", "c", "d"], "kept_file": pd.Series(["x", 1, 2.5, None], dtype=object),
                          "dropped_file": "y", "indicator_id": pd.Series(["i", None, float("nan"), pd.NA], dtype=object),
                          "period": pd.Series([dt.date(2020, 12, 31), dt.datetime(2021, 6, 30, 13, 5), "2019-12-31", None], dtype=object),
                          "rows": 1, "rows_differing": 0, "note": None})
    shaped = conform(table, frame)
    assert shaped["kept_file"].tolist() == ["x", "1", "2.5", pd.NA]
    assert shaped["indicator_id"].tolist() == ["i", pd.NA, pd.NA, pd.NA]
    assert shaped["period"].tolist() == [pd.Timestamp("2020-12-31"), pd.Timestamp("2021-06-30"), pd.Timestamp("2019-12-31"), pd.NaT]
    only_dates = conform(table, frame.assign(period=pd.Series([dt.date(2020, 12, 31), None, dt.datetime(2019, 6, 30, 23, 59), None], dtype=object)))
    assert str(only_dates["period"].dtype) == "datetime64[ms]"
    assert only_dates["period"].tolist() == [pd.Timestamp("2020-12-31"), pd.NaT, pd.Timestamp("2019-06-30"), pd.NaT]


def _one_observation(**change) -> pd.DataFrame:
    row = {"indicator_id": "population", "region_id": "01", "period": dt.date(2020, 12, 31), "period_type": "year",
           "value": 1.0, "flag": None, "source_id": "destatis_genesis_12411", "source_file": "f.csv"}
    return pd.DataFrame([{**row, "region_id": "02"}, {**row, **change}])


@pytest.mark.parametrize("change, message", [
    ({"region_id": None}, r"table observations does not match its schema: .*'column': 'region_id', 'check': 'not_nullable'"),
    ({"source_file": None}, r"'column': 'source_file', 'check': 'not_nullable', 'failure_case': <NA>, 'index': 1"),
    ({"period_type": "month"}, r"'column': 'period_type', 'check': \"isin\(\['year', 'half_year'\]\)\", 'failure_case': 'month'"),
    ({"value": "viele"}, r"table observations: column value cannot be read as float64"),
    ({"period": "unbekannt"}, r"table observations: column period cannot be read as date32"),
    ({"region_id": "02"}, r"table observations: 2 rows share a primary key \('indicator_id', 'region_id', 'period'\)"),
])
def test_a_bad_row_is_refused_naming_table_column_and_value(change, message):
    with pytest.raises(ValidationError, match=message):
        prepare_table("observations", _one_observation(**change))
    with pytest.raises(ValidationError, match=r"table observations: missing columns \['flag'\]"):
        prepare_table("observations", _one_observation().drop(columns="flag"))


def test_validate_checks_the_types_conform_gives():
    table = TABLES_BY_NAME["flags"]
    frame = conform(table, pd.DataFrame({"flag": ["p", "e"], "label_de": "x", "label_en": "x", "has_value": [True, False]}))
    assert validate(table, frame) is frame
    with pytest.raises(ValidationError, match=r"'column': 'has_value', 'check': \"dtype\('bool'\)\", 'failure_case': 'object'"):
        validate(table, frame.assign(has_value=frame["has_value"].astype(object)))


# --- atomic writes ---------------------------------------------------------------


def _flags_frame():
    return pd.DataFrame([{"flag": f.code, "label_de": f.label_de, "label_en": f.label_en, "has_value": f.has_value} for f in FLAGS])


def test_a_failed_write_leaves_the_previous_warehouse_untouched(tmp_path):
    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags_frame()}, {"built_at": "first"})
    before = sorted(p.name for p in target.iterdir())
    broken = _flags_frame()
    broken.loc[0, "flag"] = None  # violates nullable=False
    with pytest.raises(ValidationError, match="flags"):
        write_warehouse(target, {"flags": broken}, {"built_at": "second"})
    assert read_manifest(target)["built_at"] == "first"
    assert sorted(p.name for p in target.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wh", "wh.versions"]
    assert sorted(p.name for p in paths.versions_dir(target).iterdir() if p.name != ".lock") == [os.readlink(target).split("/")[-1]], "temporary folders left behind"


def test_duplicate_primary_key_is_rejected(tmp_path):
    dup = pd.concat([_flags_frame(), _flags_frame().head(1)])
    with pytest.raises(ValidationError):
        write_warehouse(tmp_path / "wh", {"flags": dup}, {})


def _observations(indicator_id: str, region_ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"indicator_id": indicator_id, "region_id": region_ids, "period": pd.Timestamp("2020-12-31"), "period_type": "year",
                         "value": 1.0, "flag": None, "source_id": "destatis_genesis_12411", "source_file": "f.csv"})


@pytest.mark.parametrize("second", [["02"], ["03", "01"]])
def test_a_primary_key_shared_by_two_parts_is_rejected(tmp_path, second):
    # The parts' own keys are checked with their schema; across parts only rows of shared indicators are compared.
    parts = {"population": _observations("population", ["01", "02"]), "economy": _observations("population", second)}
    with pytest.raises(ValidationError, match="share a primary key"):
        write_warehouse(tmp_path / "wh", {"observations": parts}, {})
    parts["economy"] = _observations("gdp_mio_eur", ["01"])
    write_warehouse(tmp_path / "wh", {"observations": parts}, {})
    assert read_manifest(tmp_path / "wh")["parts"]["observations"] == {"economy": 1, "population": 2}


def test_a_failing_step_leaves_the_previous_warehouse_untouched(tmp_path, kit_dir, monkeypatch):
    from etl import build as build_module
    from etl.steps import Step

    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags_frame()}, {"built_at": "good"})

    def explode(ctx):
        raise RuntimeError("simulated failure in a step")

    monkeypatch.setattr(build_module, "discover_steps", lambda: [Step("boom", 0, ("bkg_vg5000",), explode)])
    with pytest.raises(RuntimeError, match="simulated"):
        build_module.build(raw_dir=kit_dir, out=target, log=lambda m: None)
    assert json.loads((target / "manifest.json").read_text())["built_at"] == "good"


def linked_copy(warehouse, target):
    """A copy of a built warehouse whose files are hard links (a build never
    writes into a file, it writes new ones): cheap, and it shows which files a
    later build carried over unchanged."""
    import shutil

    if "parts" not in warehouse.manifest:
        pytest.skip("the reused warehouse (DSR_TEST_WAREHOUSE) is of the layout before tables stored per step: rebuild it")
    shutil.copytree(warehouse.directory, target, copy_function=os.link)
    return target


def table_differences(a, b, name: str) -> int:
    """Rows of table ``name`` in one warehouse folder and not the other, either
    way (multisets; geometry compared as WKB)."""
    import duckdb

    def source(folder):
        path = paths.table_path(folder, name)
        return "read_parquet('" + (f"{path}/*.parquet" if path.is_dir() else str(path)) + "')"

    con = duckdb.connect()
    n = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT * FROM {source(a)} EXCEPT ALL SELECT * FROM {source(b)})) + "
        f"(SELECT count(*) FROM (SELECT * FROM {source(b)} EXCEPT ALL SELECT * FROM {source(a)}))"
    ).fetchone()[0]
    con.close()
    return int(n)


@pytest.mark.parametrize(
    ("source", "rerun"),
    [
        ("kba_fz1", ["vehicles"]),
        ("eurostat_isoc_r_iuse_i", ["internet"]),
        # Reads the population observations and the Gemeinde shapes of the previous version.
        ("bnetza_ladesaeulenregister", ["charging"]),
        # Rewrites the regions' attributes on the regions of the previous version.
        ("gisco_nuts_2024", ["region_attributes"]),
        # A step by name, run in a process of its own; its Gemeindeverband values
        # need the population of the previous version (no step of the rerun reads it).
        ("broadband", ["broadband"]),
    ],
)
def test_a_partial_build_equals_the_full_build_and_rewrites_only_its_steps(warehouse, kit_dir, tmp_path, source, rerun):
    """--only SOURCE reruns the steps of that source and their dependants, and
    gives the same warehouse as the full build of the same inputs; every other
    table and part (and the map files) is the previous version's file."""
    from etl.build import build

    target = linked_copy(warehouse, tmp_path / "wh")
    manifest = build(raw_dir=kit_dir, out=target, only=source, log=lambda m: None)
    assert manifest["partial_build_of"] == source and manifest["rebuilt_steps"] == rerun
    assert manifest["row_counts"] == warehouse.manifest["row_counts"]
    assert manifest["parts"] == warehouse.manifest["parts"]
    assert manifest["files"] == warehouse.manifest["files"]
    new = target.resolve()
    assert new != warehouse.directory
    for name in manifest["tables"]:
        assert table_differences(warehouse.directory, new, name) == 0, name

    rewritten = {"sources.parquet", "indicators.parquet", "flags.parquet", "manifest.json"}
    for step in rerun:
        rewritten |= {f"{t}.parquet" for t in manifest["step_tables"][step] if not TABLES_BY_NAME[t].per_step}
        rewritten |= {f"{t}/{step}.parquet" for t, parts in manifest["parts"].items() if step in parts}
    for file in sorted(p for p in new.rglob("*") if p.is_file()):
        rel = file.relative_to(new).as_posix()
        same = file.stat().st_ino == (warehouse.directory / rel).stat().st_ino
        assert same == (rel not in rewritten), f"{rel}: {'carried' if same else 'rewritten'}"


def test_a_partial_build_reruns_the_steps_that_read_what_it_rebuilds():
    from etl.steps import discover_steps, select_steps

    steps = discover_steps()
    names = lambda sid: [s.name for s in select_steps(steps, sid)]  # noqa: E731
    assert names("kba_fz1") == ["vehicles"]
    assert names("bnetza_ladesaeulenregister") == ["charging"]
    # The population feeds the charging rate per inhabitant and the regions' population classes.
    assert names("destatis_genesis_12411") == ["population", "charging", "region_attributes"]
    assert names("bkg_vg5000") == [s.name for s in steps]
