"""Errors a user can act on: each names the file and, where it can, sheet, line and column."""

from __future__ import annotations


class InputError(Exception):
    """A raw file cannot be read as its source declares: wrong encoding, missing
    sheet or column, truncated file. The message says where and what was expected."""

    def __init__(self, file: str, message: str, *, sheet: str | None = None, line: int | None = None, column: str | None = None):
        self.file = file
        self.sheet = sheet
        self.line = line
        self.column = column
        self.detail = message
        where = [file]
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class MissingRawFile(InputError):
    def __init__(self, file: str, raw_dir: str):
        super().__init__(
            file,
            f"not found in the raw-data directory {raw_dir}. Set DSR_RAW_DIR to the folder with the kit, "
            "or run `python -m etl fetch` to download it from the publisher.",
        )


class ValidationError(Exception):
    """A built table does not match its declared schema; nothing is written."""


class WarehouseBusy(Exception):
    """Another build or import holds the warehouse's lock."""


class MissingInputs(InputError):
    """Expected raw files (the catalogue's inventory) are absent: nothing was built."""

    def __init__(self, report):
        missing = report.of_status("missing")
        self.files = [r.path for r in missing]
        lines = [f"  {r.path} (source {r.source_id})" for r in missing]
        sources = report.missing_sources
        super().__init__(
            missing[0].path,
            f"{len(missing)} expected raw file{'s' if len(missing) != 1 else ''} missing in {report.raw_dir}:\n"
            + "\n".join(lines)
            + "\nPut the file back from the kit, or download it with `python -m etl fetch --source "
            + " --source ".join(sources)
            + "`, or build without "
            + ("this source" if len(sources) == 1 else "these sources")
            + ": `python -m etl build "
            + " ".join(f"--without {s}" for s in sources)
            + "`. No step has run.",
        )
