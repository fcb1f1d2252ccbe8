"""German and English labels. German first; English on request (``?lang=en``).

Every text of the interface is declared once, in ``labels.toml`` beside this
module (one line per label: German, English; sections name the module that
uses them). ``t(key)`` returns the label in the current language; labels that
carry data (names, titles) are formatted by the caller and escaped where
rendered as Markdown (``md_escape``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import fmt

LANGS = ("de", "en")
LABELS_FILE = Path(__file__).with_name("labels.toml")


def load_labels(path: Path = LABELS_FILE) -> dict[str, tuple[str, str]]:
    """key → (German, English) from the labels file; a key declared twice with
    other texts, or a label without both languages, is an error naming it."""
    labels: dict[str, tuple[str, str]] = {}
    for section, entries in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for key, pair in entries.items():
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) and x for x in pair)):
                raise ValueError(f"{path.name} [{section}] {key}: needs [German, English], got {pair!r}")
            if key in labels and labels[key] != tuple(pair):
                raise ValueError(f"{path.name} [{section}] {key}: declared twice with other texts")
            labels[key] = (pair[0], pair[1])
    return labels


LABELS = load_labels()


def lang() -> str:
    value = st.session_state.get("lang", "de")
    return value if value in LANGS else "de"


COUNT_FIELDS = frozenset({"n", "N", "k", "rank"})  # placeholders that hold counts or ranks


def t(key: str, **kwargs) -> str:
    """The label in the session's language, filled in. Counts and ranks
    (``{n}``, ``{N}``, ``{k}``, ``{rank}``) given as integers are written in the
    language's format ("10.957 Regionen"); other values are filled in as given."""
    de, en = LABELS[key]
    text = en if lang() == "en" else de
    if not kwargs:
        return text
    for name in COUNT_FIELDS & kwargs.keys():
        value = kwargs[name]
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            kwargs[name] = fmt.integer(value, lang())
    return text.format(**kwargs)


def pick(de: str | None, en: str | None) -> str:
    """The German or English variant of a catalogue text."""
    if lang() == "en" and en:
        return en
    return de or en or ""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: object) -> str:
    """Escape text from data for Markdown (titles, names): no markup, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def fmt_number(value: float | None, decimals: int = 1) -> str:
    """A number in the session's language (1.234,5 or 1,234.5): ``dashboard.fmt.number``."""
    return fmt.number(value, decimals, lang())
