"""The gazetteer: text → region, and region → the words that name it.

One engine for every search box of the app (Steckbrief, Vergleich, Trends):
it works on the ``regions`` table of the warehouse, pure pandas, no Streamlit,
and ``fold`` is the one rule for comparing names without case, umlauts and
punctuation; the registry resolver (``etl.resolver``) compares names by the
same ``fold`` and adds its own rules on top (abbreviations, prefixes such as
"Stadt" or "Landkreis", cooperation lists, context).

How a query is matched (lower tier first; within a tier the larger unit
first, then the shorter name, then the key):

0. a key: the AGS with or without its lost leading zero (``9162`` is
   ``09162``), the 12-digit ARS, a NUTS code (``DE212``), ``DG`` for Germany;
1. the beginning of a key (``0918`` lists the Kreis 09184 and its Gemeinden);
2. the name, folded (case, umlauts written ``ue`` or ``u``, accents and
   punctuation ignored: ``Muenchen``, ``Munchen``, ``münchen`` are ``München``;
   ``frankfurt oder`` is ``Frankfurt (Oder)``);
3. the beginning of the name (``Münch``);
4. the beginning of a word in the name (``ruhr`` in ``Mülheim an der Ruhr``);
5. anywhere in the name, for four letters or more (``schleiss``), so that a
   short query hidden inside a longer word (``Au`` in ``Mühlhausen``) is no hit;
6. a near miss (typos, words left out), for four letters or more: rapidfuzz
   ``token_set_ratio`` of at least 80 (``Göttngen``).

A word for a Gemeindeverband before or after the name (``VERBAND_WORDS``:
"VG Arzfeld", "Amt Büchen", "Bersenbrück, Samtgemeinde") makes the Verbände
of that name exact hits (tier 2), ahead of their seat Gemeinde of the same name;
the registry resolver (``etl.resolver``) reads the same words.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from etl.catalogue import GERMANY_ID, KEY_LENGTH, LEVELS

# Equal tiers list the larger unit first ("München": the kreisfreie Stadt,
# then the Landkreis, then the Gemeinde); Regierungsbezirke after Kreise, as
# few people look for them; Gemeindeverbände after Gemeinden, since 3,395 of
# the 4,605 are a single Gemeinde of the same name and area.
LEVEL_ORDER = {"bund": 0, "land": 1, "kreis": 2, "rbz": 3, "gemeinde": 4, "verband": 5}
FUZZY_CUTOFF = 80.0
CONTAINS_MIN = FUZZY_MIN = 4
LIMIT = 30
COLUMNS = ["region_id", "level", "name", "tier", "score", "exact"]
_SPACE = re.compile(r"\s+")

_UMLAUTS = {
    # "Muenchen": umlauts as Germans write them without the dots
    "ae": str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"}),
    # "Munchen": the dots just dropped
    "a": str.maketrans({"ß": "ss", "æ": "ae", "ø": "o"}),
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Gemeindeverbände of several Gemeinden (VG5000's layer VWG, the level
# ``verband``), and the words that name one before or after its name (folded),
# with the types each names first ("VG" is a Verbandsgemeinde in
# Rheinland-Pfalz, a Verwaltungsgemeinschaft in Bayern). A Verband mostly
# carries its seat Gemeinde's name: the word says that the Verband is meant.
# The units of a single Gemeinde (Einheitsgemeinde, amtsfreie Gemeinde …) are
# that Gemeinde.
VERBAND_TYPES = ("Verbandsgemeinde", "Samtgemeinde", "Amt", "Verwaltungsgemeinschaft", "Verwaltungsverband", "Erfüllende Gemeinde")
VERBAND_WORDS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("verbandsgemeinde",): ("Verbandsgemeinde",),
    ("verbandsgemeindeverwaltung",): ("Verbandsgemeinde",),
    ("vg",): ("Verbandsgemeinde", "Verwaltungsgemeinschaft"),
    ("samtgemeinde",): ("Samtgemeinde",),
    ("samtgemeindeverwaltung",): ("Samtgemeinde",),
    ("sg",): ("Samtgemeinde",),
    ("amt",): ("Amt",),
    ("amtsverwaltung",): ("Amt",),
    ("verwaltungsgemeinschaft",): ("Verwaltungsgemeinschaft", "Erfüllende Gemeinde"),
    ("vgem",): ("Verwaltungsgemeinschaft", "Erfüllende Gemeinde"),
    ("verwaltungsverband",): ("Verwaltungsverband",),
    ("gemeindeverwaltungsverband",): ("Verwaltungsverband",),
    ("gvv",): ("Verwaltungsverband",),
}


def verband_name(words: list[str]) -> tuple[tuple[str, ...], str] | None:
    """(the word, the rest) when folded words begin or end with a word for a
    Gemeindeverband and something is left ("vg arzfeld" → ("vg",), "arzfeld")."""
    for word in VERBAND_WORDS:
        n = len(word)
        if len(words) > n and tuple(words[:n]) == word:
            return word, " ".join(words[n:])
        if len(words) > n and tuple(words[-n:]) == word:
            return word, " ".join(words[:-n])
    return None


def fold(text: object, umlaut: str = "ae") -> str:
    """Lower case, umlauts written out (``umlaut="ae"``) or without their dots
    (``"a"``), other accents stripped, punctuation as single spaces: searching
    both forms lets "Muenchen", "Munchen" and "München" find the same place, and
    "Frankfurt (Oder)" and "frankfurt oder" fold alike."""
    lowered = str(text).casefold().translate(_UMLAUTS[umlaut])
    plain = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", plain).strip()


def search_index(regions: pd.DataFrame) -> pd.DataFrame:
    """The regions with both folded forms of their names and their other keys
    (computed once per warehouse, then searched often)."""
    frame = regions.reset_index(drop=True)
    return pd.DataFrame(
        {
            "region_id": frame["region_id"].astype(str),
            "level": frame["level"].astype(str),
            "name": frame["name"].astype(str),
            "fold_ae": [fold(n, "ae") for n in frame["name"]],
            "fold_a": [fold(n, "a") for n in frame["name"]],
            "ars": frame["ars"].astype("string").fillna("") if "ars" in frame else "",
            "nuts_id": frame["nuts_id"].astype("string").fillna("").str.upper() if "nuts_id" in frame else "",
            "level_order": frame["level"].map(LEVEL_ORDER).fillna(len(LEVEL_ORDER)).astype(int),
        }
    )


def key_candidates(text: str) -> list[str]:
    """Region keys a digit string can mean, leading zeros restored ("9162" →
    "09162", "1" → "01"): a key can have lost one leading zero (Länder 01–09)."""
    # Imported here: etl.regions reads the shapes (geopandas, pyproj, about
    # 15 MB of memory) and the app needs only this one function of it.
    from etl.regions import normalise_key

    text = _SPACE.sub("", text or "")
    if not text.isdigit():
        return []
    found = [normalise_key(text, level) for level in KEY_LENGTH]
    return [k for k in dict.fromkeys(found) if k]


def search(index: pd.DataFrame, query: str, limit: int = LIMIT) -> pd.DataFrame:
    """Regions matching ``query``, best first: region_id, level, name, tier
    (see the module), score (100 for tiers 0–5, the fuzzy score in tier 6) and
    exact (a key, or the folded name equal to the query)."""
    q = (query or "").strip()
    if not q:
        return pd.DataFrame(columns=COLUMNS)
    tier = np.full(len(index), np.inf)
    score = np.full(len(index), 100.0)

    def mark(mask, level: int) -> None:
        mask = np.asarray(mask, dtype=bool) & (tier > level)
        tier[mask] = level

    compact = _SPACE.sub("", q)
    ids = index["region_id"]
    if compact.isdigit():
        mark(ids.isin(key_candidates(compact)) | (index["ars"] == compact), 0)
        if len(compact) >= 2:
            mark(ids.str.startswith(compact), 1)
    elif compact.upper() == GERMANY_ID:
        mark(ids == GERMANY_ID, 0)
    else:
        # Gemeinden and Gemeindeverbände carry their Kreis' NUTS 3 code: a code means the Kreis.
        mark(~index["level"].isin(["verband", "gemeinde"]) & (index["nuts_id"] == compact.upper()), 0)
    q_ae, q_a = fold(q, "ae"), fold(q, "a")
    if q_ae:
        for needle, col in ((q_ae, "fold_ae"), (q_a, "fold_a")):
            names = index[col]
            mark(names == needle, 2)
            kind = verband_name(needle.split())
            if kind is not None:
                mark((index["level"] == "verband") & (names == kind[1]), 2)
            mark(names.str.startswith(needle), 3)
            mark(names.str.contains(rf"\b{re.escape(needle)}", regex=True), 4)
            if len(needle) >= CONTAINS_MIN:
                mark(names.str.contains(needle, regex=False), 5)
        if len(q_a) >= FUZZY_MIN:
            from rapidfuzz import fuzz, process

            open_rows = np.flatnonzero(~np.isfinite(tier))
            for needle, col in ((q_ae, "fold_ae"), (q_a, "fold_a")):
                choices = index[col].to_numpy()[open_rows].tolist()
                for _, s, pos in process.extract(needle, choices, scorer=fuzz.token_set_ratio, limit=limit * 4, score_cutoff=FUZZY_CUTOFF):
                    row = open_rows[pos]
                    if tier[row] == 6:
                        score[row] = max(score[row], s)
                    else:
                        tier[row], score[row] = 6, s
    found = np.isfinite(tier)
    hits = index[found].assign(tier=tier[found].astype(int), score=score[found])
    hits = hits.assign(
        exact=(hits["tier"] == 0) | (hits["fold_ae"] == q_ae) | (hits["fold_a"] == q_a),
        _len=hits["name"].str.len(),
        # Key hits in key order (the user typed a key), name hits by the unit.
        _key=np.where(hits["tier"] <= 1, hits["region_id"], ""),
    )
    hits = hits.sort_values(["tier", "_key", "score", "level_order", "_len", "region_id"], ascending=[True, True, False, True, True, True])
    return hits.head(limit)[COLUMNS].reset_index(drop=True)


def ambiguous_name(hits: pd.DataFrame) -> str | None:
    """The name when the best hits are several regions of exactly that name
    (several "Mühlhausen"; "München" as Stadt and Landkreis counts too), else None."""
    exact = hits[hits["exact"] & (hits["tier"] == 2)]
    if len(exact) > 1 and exact["name"].map(fold).nunique() == 1:
        return str(exact["name"].iloc[0])
    return None


def kreis_label(name: str, bez: str) -> str:
    """'Landkreis Cham', but 'Rhein-Neckar-Kreis' and 'München' as they are."""
    if bez in ("Landkreis", "Kreis") and not any(w in name.lower() for w in ("kreis", "region")):
        return f"{bez} {name}"
    return name


def labels(regions: pd.DataFrame) -> dict[str, str]:
    """A label per region that tells apart places of the same name, for every
    list and search box: 'München (Kreisfreie Stadt, Bayern; 09162)',
    'Mühlhausen (Gemeinde, Rhein-Neckar-Kreis, Baden-Württemberg; 08226054)';
    a Gemeinde of a Gemeindeverband of several Gemeinden names it:
    'Altenahr (Ortsgemeinde, Verbandsgemeinde Altenahr, Landkreis Ahrweiler, …)'."""
    names = dict(zip(regions["region_id"], regions["name"]))
    types = dict(zip(regions["region_id"], regions["type"]))
    verband_ids = regions["verband_id"] if "verband_id" in regions else pd.Series(None, index=regions.index, dtype=object)
    real_verband = set(verband_ids[regions["level"] == "gemeinde"].dropna().value_counts().loc[lambda n: n > 1].index)
    out = {}
    for rid, level, name, typ, land_id, kreis_id, verband_id in zip(
        regions["region_id"], regions["level"], regions["name"], regions["type"], regions["land_id"], regions["kreis_id"], verband_ids
    ):
        if level == "bund":
            out[rid] = str(name)
            continue
        parts = [typ]
        if level == "gemeinde" and verband_id in real_verband and verband_id in names:
            parts.append(f"{types.get(verband_id, '')} {names[verband_id]}".strip())
        if level in ("verband", "gemeinde") and isinstance(kreis_id, str) and names.get(kreis_id) not in (None, name):
            parts.append(kreis_label(names[kreis_id], types.get(kreis_id, "")))
        if level != "land" and isinstance(land_id, str) and land_id in names:
            parts.append(names[land_id])
        inner = ", ".join(str(p) for p in parts if isinstance(p, str) and p)
        out[rid] = f"{name} ({inner}; {rid})" if inner else f"{name} ({rid})"
    return out


assert set(LEVEL_ORDER) == set(LEVELS), "every level has a place in the search order"
