"""The quarantine: every rejected or unmatched input row with file, sheet, line,
column, raw value and reason. Nothing is dropped silently."""

from __future__ import annotations

import pandas as pd

COLUMNS = ["source_id", "file", "sheet", "line", "column", "value", "reason", "target_table", "step"]


class Quarantine:
    def __init__(self) -> None:
        self._rows: list[dict] = []
        self._frames: list[pd.DataFrame] = []
        # The build step that is running: stamped on every entry, so a partial
        # build can replace exactly the entries of the steps it reruns.
        self.step: str = ""

    def add(
        self,
        *,
        source_id: str,
        file: str,
        reason: str,
        target_table: str,
        sheet: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        if not reason:
            raise ValueError("a quarantine entry needs a reason")
        self._rows.append(
            {
                "source_id": source_id,
                "file": file,
                "sheet": sheet,
                "line": line,
                "column": column,
                "value": None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value),
                "reason": reason,
                "target_table": target_table,
                "step": self.step,
            }
        )

    def add_frame(self, frame: pd.DataFrame, *, source_id: str, target_table: str) -> None:
        """Add many rows at once: ``frame`` has file and reason, and optionally
        sheet, line, column and value."""
        if frame.empty:
            return
        if "reason" not in frame or frame["reason"].isna().any() or (frame["reason"] == "").any():
            raise ValueError("every quarantined row needs a reason")
        out = pd.DataFrame(index=frame.index)
        for col in COLUMNS:
            if col in frame:
                out[col] = frame[col]
            else:
                out[col] = None
        out["source_id"] = source_id
        out["target_table"] = target_table
        out["step"] = self.step
        out["value"] = out["value"].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
        self._frames.append(out.reset_index(drop=True))

    def extend(self, frame: pd.DataFrame) -> None:
        """Add complete quarantine rows (e.g. kept from a previous warehouse)."""
        if frame.empty:
            return
        if frame["reason"].isna().any():
            raise ValueError("every quarantined row needs a reason")
        self._frames.append(frame[COLUMNS].reset_index(drop=True))

    def to_frame(self) -> pd.DataFrame:
        parts = [pd.DataFrame(self._rows, columns=COLUMNS), *self._frames]
        parts = [p for p in parts if not p.empty]
        if not parts:
            frame = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
        else:
            frame = pd.concat(parts, ignore_index=True)
        frame["line"] = pd.to_numeric(frame["line"], errors="coerce").astype("Int64")
        for col in COLUMNS:
            if col != "line":
                frame[col] = frame[col].astype("string")
        return frame

    def __len__(self) -> int:
        return len(self._rows) + sum(len(f) for f in self._frames)


def quarantine_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows counted per source and reason, keys and numbers in the
    reasons written as "…" (columns ``source_id``, ``reason``, ``n``): what the
    manifest's summary is made of (``etl.build``), far fewer rows than the
    quarantine."""
    # Counted by the reason as written first: far fewer texts to rewrite than rows.
    counts = frame.groupby(["source_id", "reason"]).size().reset_index(name="n")
    counts["reason"] = counts["reason"].str.replace(r"\b\d{2,12}\b", "…", regex=True)
    return counts.groupby(["source_id", "reason"], as_index=False)["n"].sum()
