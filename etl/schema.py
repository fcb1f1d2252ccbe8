"""The catalogue's table declarations as pandera schemas, dtypes and column orders.

``conform`` puts a frame into the declared shape (column order, dtypes);
``validate`` checks it with the pandera schema built from the same declaration
(nullability, allowed values, unique primary key) and raises
``etl.errors.ValidationError`` naming table, column and the first bad rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from etl.catalogue.model import Table
from etl.errors import ValidationError

_PANDAS_DTYPE = {"string": "string", "Int64": "Int64", "float64": "float64", "bool": "bool"}
_ARROW_TYPE = {
    "string": pa_arrow.string(),
    "Int64": pa_arrow.int64(),
    "float64": pa_arrow.float64(),
    "bool": pa_arrow.bool_(),
    "date32": pa_arrow.date32(),
}


def _is_date_or_null(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v)) or isinstance(v, dt.date))


def to_pandera(table: Table) -> pa.DataFrameSchema:
    columns = {}
    for col in table.columns:
        if col.dtype == "geometry":
            continue
        checks = []
        if col.allowed:
            checks.append(pa.Check.isin(list(col.allowed)))
        if col.dtype == "date32":
            checks.append(pa.Check(_is_date_or_null, element_wise=False, error="not a date"))
            columns[col.name] = pa.Column(object, checks=checks, nullable=col.nullable)
        else:
            columns[col.name] = pa.Column(_PANDAS_DTYPE[col.dtype], checks=checks, nullable=col.nullable)
    return pa.DataFrameSchema(
        columns,
        strict=False,
        unique=list(table.primary_key) or None,
        name=table.name,
    )


def _to_date(series: pd.Series) -> pd.Series:
    converted = pd.to_datetime(series, errors="raise")
    return converted.map(lambda v: None if pd.isna(v) else v.date()).astype(object)


def conform(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the declared columns, in order, with declared dtypes."""
    missing = [c for c in table.column_names if c not in frame.columns]
    if missing:
        raise ValidationError(f"table {table.name}: missing columns {missing}")
    out = frame[table.column_names].copy()
    for col in table.columns:
        if col.dtype == "geometry":
            continue
        if col.dtype == "date32":
            out[col.name] = _to_date(out[col.name])
        elif col.dtype == "bool":
            if out[col.name].isna().any() and not col.nullable:
                raise ValidationError(f"table {table.name}: column {col.name} has empty values")
            out[col.name] = out[col.name].astype("boolean" if col.nullable else "bool")
        else:
            out[col.name] = out[col.name].astype(_PANDAS_DTYPE[col.dtype])
    return out


def validate(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    schema = to_pandera(table)
    # Nullable booleans are "boolean"; accept them where the declaration allows nulls.
    for col in table.columns:
        if col.dtype == "bool" and col.nullable:
            schema = schema.update_column(col.name, dtype="boolean")
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(10).to_dict("records")
        raise ValidationError(f"table {table.name} does not match its schema: {cases}") from None


def arrow_schema(table: Table) -> pa_arrow.Schema:
    fields = []
    for col in table.columns:
        if col.dtype == "geometry":
            continue
        fields.append(pa_arrow.field(col.name, _ARROW_TYPE[col.dtype], nullable=col.nullable))
    return pa_arrow.schema(fields)
