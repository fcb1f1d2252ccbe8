"""Registries as published: CSV, XLSX sheets and Markdown files with YAML front matter.

In: a registry file. Out: its records as text, exactly as written, with the
1-based line (CSV: the line a record starts on; sheet: the row number) so that
every message and quarantine entry can point at it. Format only: encodings,
separators, front-matter syntax, Markdown → plain text. What the fields mean is
the transform's business (``etl.transform.projects``, ``etl.registry_import``).

Front matter is read by whitelist: only the named top-level fields are ever
constructed, so personal fields of the codefor.de files (``collaborators``,
``colaborators``, ``members``, ``leads``) are not even parsed into Python
objects. When a top-level key is repeated, the first occurrence counts: in the
codefor.de project files a second ``links:`` or ``name:`` comes from a broken
``collaborators`` block (a volunteer's profile link), never from the project.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from etl.errors import InputError

LINE = "line"  # column with the 1-based line of each record
PROBLEM = "_problem"  # column with a format problem of a single record (ragged row)


def decode_utf8(data: bytes, relpath: str) -> str:
    """The text of a UTF-8 file (a BOM is allowed); a clear error otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        snippet = data[max(0, exc.start - 20) : exc.start + 20].decode("latin-1", errors="replace").replace("\n", " ")
        guess = "Latin-1/Windows-1252 (e.g. saved by Excel as 'CSV (Trennzeichen-getrennt)')" if _looks_latin1(data) else "an unknown encoding"
        raise InputError(
            relpath,
            f"not UTF-8: byte 0x{data[exc.start]:02X} at byte {exc.start} (near {snippet!r}) looks like {guess}. "
            "Save the file as 'CSV UTF-8' and import it again.",
            line=line,
        ) from None


def _looks_latin1(data: bytes) -> bool:
    return any(b in data for b in (b"\xe4", b"\xf6", b"\xfc", b"\xdf", b"\xc4", b"\xd6", b"\xdc", b"\xe9"))


def read_csv_records(path: Path, relpath: str, *, required: tuple[str, ...] = (), ragged: str = "raise") -> pd.DataFrame:
    """All fields as text, header as published, plus ``line``.

    The separator is ``,`` or, when the header has ``;`` and no ``,``, ``;``
    (German spreadsheet exports). ``ragged="mark"`` keeps rows with a wrong
    number of fields and says so in ``_problem`` instead of failing.
    """
    text = decode_utf8(path.read_bytes(), relpath)
    if not text.strip():
        raise InputError(relpath, "the file is empty")
    header_line = text.splitlines()[0]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputError(relpath, f"the header cannot be read as CSV: {exc}", line=1) from None
    _check_header(header, relpath, required)
    rows: list[dict] = []
    start = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(relpath, f"cannot be read as CSV ({exc}); is the file truncated or a quote not closed?", line=start) from None
        if not any(f.strip() for f in fields):
            start = reader.line_num + 1
            continue
        record: dict = {LINE: start, PROBLEM: None}
        if len(fields) != len(header):
            message = f"{len(fields)} fields where the header has {len(header)}"
            if ragged == "raise":
                raise InputError(relpath, message + "; is the file truncated or a separator inside an unquoted field?", line=start)
            record[PROBLEM] = message
        for name, value in zip(header, fields):
            record[name] = value
        rows.append(record)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=[LINE, PROBLEM, *header])
    frame[LINE] = frame[LINE].astype("Int64")
    return frame


def read_xlsx_records(path: Path, relpath: str, *, sheet: str | None = None, required: tuple[str, ...] = ()) -> tuple[pd.DataFrame, str]:
    """The rows of one sheet as text (formulas as written, not their results), plus ``line``.

    ``sheet``: the sheet to read; when it is missing, the first sheet. Returns
    the frame and the name of the sheet read.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(relpath, f"cannot be opened as an XLSX workbook ({exc}); is it truncated or another format?") from None
    try:
        name = sheet if sheet in book.sheetnames else book.sheetnames[0]
        rows_iter = book[name].iter_rows(values_only=True)
        header_row = next(rows_iter, None)
        if header_row is None:
            raise InputError(relpath, "the sheet is empty", sheet=name)
        header = [_cell_text(h).strip() for h in header_row]
        while header and not header[-1]:
            header.pop()
        _check_header(header, relpath, required, sheet=name)
        rows = []
        for number, values in enumerate(rows_iter, start=2):
            texts = [_cell_text(v) for v in values[: len(header)]]
            extra = [_cell_text(v) for v in values[len(header) :] if _cell_text(v).strip()]
            if not any(t.strip() for t in texts) and not extra:
                continue
            record: dict = {LINE: number, PROBLEM: f"values beyond the last column: {extra}" if extra else None}
            record.update(dict(zip(header, texts + [""] * (len(header) - len(texts)))))
            rows.append(record)
    finally:
        book.close()
    frame = pd.DataFrame(rows, columns=[LINE, PROBLEM, *header])
    frame[LINE] = frame[LINE].astype("Int64")
    return frame, name


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _check_header(header: list[str], relpath: str, required: tuple[str, ...], sheet: str | None = None) -> None:
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise InputError(relpath, f"column(s) {duplicated} appear more than once in the header", sheet=sheet, line=1)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(relpath, f"missing column(s) {missing}; the header has {header}", sheet=sheet, line=1, column=missing[0])


@dataclass
class FrontMatter:
    fields: dict
    body: str
    ignored_duplicates: list[str] = field(default_factory=list)


_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def read_front_matter(path: Path, relpath: str, keep: frozenset[str]) -> FrontMatter:
    """The whitelisted top-level fields of a Markdown file's YAML front matter and its body."""
    text = decode_utf8(path.read_bytes(), relpath)
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise InputError(relpath, "no YAML front matter (a block between two '---' lines at the top)", line=1)
    loader = yaml.SafeLoader(match.group(1))
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None  # front matter starts on line 2
        raise InputError(relpath, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}", line=line) from None
    finally:
        loader.dispose()
    fields: dict = {}
    ignored: list[str] = []
    if node is not None:
        if not isinstance(node, yaml.MappingNode):
            raise InputError(relpath, "front matter is not a mapping of fields", line=2)
        constructor = yaml.constructor.SafeConstructor()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in keep:
                continue  # never constructed: personal and irrelevant fields stay unread
            if key in fields:
                ignored.append(key)
                continue
            fields[key] = constructor.construct_object(value_node, deep=True)
    return FrontMatter(fields, text[match.end() :], ignored)


_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>|</li>|</h\d>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|`)")


def strip_markdown(text: str) -> str:
    """Markdown/HTML reduced to readable text: links keep their text, images,
    tags, shortcodes and emphasis marks go, paragraphs stay."""
    out = _SHORTCODE.sub("", text)
    out = _COMMENT.sub("", out)
    out = _IMAGE.sub("", out)
    out = _LINK.sub(lambda m: m.group(1) or m.group(2), out)
    out = _BREAK.sub("\n", out)
    out = _TAG.sub("", out)
    out = _HEADING.sub("", out)
    out = _EMPHASIS.sub("", out)
    out = html.unescape(out)
    out = "\n".join(line.rstrip() for line in out.splitlines())
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
