"""Complete languages: every page, opened in German and in English, shows no
text of the other language that a test can detect (a list of words that occur
only in the other language), and Streamlit's own widget texts are set where
its API lets them be set (placeholders)."""

from __future__ import annotations

import re

import pytest

PAGES = {
    "views/karte.py": {"level": "kreis"},
    "views/steckbrief.py": {"region": "03159"},
    "views/vergleich.py": {"regions": "03159,09162", "peers": "type,size"},
    "views/trends.py": {"regions": "03159,09162"},
    "views/sektoren.py": {},
    "views/projekte.py": {"project": "mpsc:MPSC-2019-02"},
    "views/quellen.py": {},
}
# Words that belong to one language only (as whole words, case-sensitive where
# German capitalises nouns). Data texts (names of places and projects, the
# publishers' titles and attributions) are left out of the check.
# ("Länder" is the English word for the German states too.)
GERMAN_ONLY = ["Einwohner", "Personen", "Haushalte", "Kreise", "Gemeinden", "Zeitpunkt", "Quelle", "Lizenz", "Stand", "keine Daten", "je 10.000", "Staffel", "Laufzeit", "Großstädte", "Rang", "Vergleichsgruppe", "Wählen", "Bitte", "nicht berichtet"]
ENGLISH_ONLY = ["No results", "Select all", "Choose an option", "Source:", "Licence", "inhabitants", "households", "Districts", "Municipalities", "no data", "Rank", "Peer group", "period", "Please", "not reported"]


def _texts(at) -> list[str]:
    """What the page shows as text of the app (not data tables' cells)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "select_slider", "checkbox", "toggle", "slider"):
        for w in getattr(at, kind):
            out.append(str(w.label))
            placeholder = getattr(w.proto, "placeholder", "")
            if placeholder:
                out.append(placeholder)
    for b in at.button:
        out.append(str(b.label))
    return [x.replace("\\", "") for x in out]


def _data_texts(warehouse) -> set[str]:
    """Texts that come from the data (titles of projects and sources, names): never checked."""
    projects = warehouse.sql("SELECT title FROM projects")["title"].dropna().tolist()
    sources = warehouse.sql("SELECT title, attribution, licence, publisher FROM sources")
    registries = warehouse.sql("SELECT title, publisher, attribution, licence FROM registries")
    data = set(projects)
    for col in registries.columns:
        data |= {str(x) for x in registries[col].dropna()}
    for col in sources.columns:
        data |= {str(x) for x in sources[col].dropna()}
    return data


_URL = re.compile(r"https?://\S+")


def _leftovers(texts: list[str], words: list[str], data: set[str]) -> list[str]:
    """The words found in the app's own texts: links and data texts (as
    published, in the publisher's language) taken out first."""
    found = []
    by_length = sorted((d for d in data if len(d) > 3), key=len, reverse=True)
    for text in texts:
        text = _URL.sub(" ", text)
        for d in by_length:
            if d in text:
                text = text.replace(d, " ")
        for word in words:
            if re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text):
                found.append(f"{word!r} in {text[:160]!r}")
    return found


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["de", "en"])
def test_no_text_of_the_other_language(open_app, warehouse, page, lang):
    at = open_app(page, lang=lang, **PAGES[page])
    texts = _texts(at)
    words = ENGLISH_ONLY if lang == "de" else GERMAN_ONLY
    assert _leftovers(texts, words, _data_texts(warehouse)) == []
