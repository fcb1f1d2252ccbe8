"""Names as published → official region keys, for every registry.

In: the ``regions`` table (status 2021-01-01: region_id, level, name, type,
land_id, kreis_id, lat, lon), the reviewed override file
``data/resolver_overrides.csv`` (name, context, key, key_name, reason), the
declared Bezirke of the city-states ``data/city_districts.csv`` and, optionally,
the warehouse's ``region_shapes``. Out: for a published name and its context, a
:class:`Resolved` (one or more regions, how they were found) or a
:class:`ResolutionError` that lists the candidate keys and names. Ambiguity is
never decided by taking the first match: a name is resolved only when exactly
one region fits after normalisation and context, or when the override file says
which regions it means. A wrong link is worse than a refusal.

Normalisation (both sides): the gazetteer's one folding rule
(:func:`etl.gazetteer.fold`: case, umlauts and ß as "ae"/"ss" so the lab slug
``muenchen`` meets "München", accents, punctuation) after dropping invisible
characters pasted from web pages (soft hyphens, zero-width spaces; NBSP is a
space); the abbreviations "i." / "a." / "b." / "i.d." / "a.d." / "St." and a
few qualifier abbreviations ("Br." Breisgau, "OPf." Oberpfalz, "Westf."
Westfalen) as written out in official names; administrative words before or
after the name ("Stadt", "Gemeinde", "Markt", "Landkreis", "Kreis", "Region",
"Stadtverwaltung", "Landratsamt", …; after a comma also the abbreviations of
official lists: "Monheim, St"), which tell the level; "Stadt"-like words make
a Stadt win among namesakes. An official name also answers to its short forms:
without the bracket ("Kempten (Allgäu)" → Kempten), without the part after a
slash ("Mühlhausen/Thüringen" → Mühlhausen) and without a qualifier ("Freiburg
im Breisgau" → Freiburg). A short form is a weaker match: when a short form at
the preferred level competes with an exact match at another allowed level
("Oldenburg": the city Oldenburg (Oldb) or the Landkreis), the name is refused,
unless the exact match is a Land ("Sachsen", "Brandenburg" mean the Länder: the
Gemeinden Sachsen b. Ansbach and Brandenburg an der Havel carry a qualifier in
their official name and are written with it when meant) or a point decides.

Only for a name that fits no region as written (see :meth:`Resolver.resolve`):
a Gemeindeverband named with its word ("Verbandsgemeinde Kaisersesch", "VG
Arzfeld", "Samtgemeinde Bersenbrück", "Amt Büchen", "Verwaltungsgemeinschaft
X") is the Verband (level ``verband``), never its namesake Gemeinde, which is
only its seat (such a word with no Verband of the name is refused); umlauts typed without dots ("Dusseldorf"); the name written
apart or together ("Hohenlohe Kreis"); an honorific "-stadt" ("Klingenstadt
Solingen", "Hanse- und Universitätsstadt Rostock"); a qualifier written otherwise ("Halle an der Saale") or naming a
Land ("Münster (Westf.)"); a Bezirk of Berlin or Hamburg, or a part of a city
("Köln-Ehrenfeld"), linked to the city with the method "district".

Context: the levels the name may denote, in order of preference (a town's
project means the Gemeinde, not the Kreis of a kreisfreie Stadt of the same
name; "bund" lets "Deutschland", "bundesweit", "Bund" or ``DG`` mean Germany as
a whole); the Land; a point that decides between namesakes by the region whose
shape contains it (within ``POINT_TOLERANCE_KM``), else by centre points more
than ``max_km`` apart; the registry's category (a "Großstadt" is a Stadt, not a
village of the same name).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from etl import paths
from etl.catalogue import GERMANY_ID
from etl.gazetteer import VERBAND_TYPES, VERBAND_WORDS, fold, verband_name
from etl.regions import normalise_key

LEVEL_ORDER = ("gemeinde", "kreis", "land")
KREIS_TYPES = ("Landkreis", "Kreis")
CITY_TYPES = ("Stadt", "Kreisfreie Stadt", "Stadtkreis")

# Abbreviations as in VG5000 names and published names, written out. Pairs first.
_PAIR_ABBREVIATIONS = {("i", "d"): "in der", ("a", "d"): "an der", ("v", "d"): "vor der", ("o", "d"): "ob der"}
_ABBREVIATIONS = {
    "i": "im",
    "a": "am",
    "b": "bei",
    "st": "sankt",
    "br": "breisgau",
    "opf": "oberpfalz",
    "westf": "westfalen",
    "oldb": "oldenburg",
    "schw": "schwaben",
    "obb": "oberbayern",
}
# Administrative words before a name, and the levels (and types) they imply.
_ADMIN_PREFIXES: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("kreisfreie", "stadt"): (("gemeinde", "kreis"), ()),
    ("grosse", "kreisstadt"): (("gemeinde",), ()),
    ("landkreis",): (("kreis",), KREIS_TYPES),
    ("kreis",): (("kreis",), KREIS_TYPES),
    ("lk",): (("kreis",), KREIS_TYPES),
    ("lkr",): (("kreis",), KREIS_TYPES),
    ("eifelkreis",): (("kreis",), ()),
    ("staedteregion",): (("kreis",), ()),
    ("regionalverband",): (("kreis",), ()),
    ("region",): (("kreis",), ()),
    ("stadtkreis",): (("gemeinde", "kreis"), ()),
    ("stadt",): (("gemeinde",), ()),
    ("gemeinde",): (("gemeinde",), ()),
    ("ortsgemeinde",): (("gemeinde",), ()),
    ("markt",): (("gemeinde",), ()),
    ("hansestadt",): (("gemeinde",), ()),
    ("landeshauptstadt",): (("gemeinde",), ()),
    ("universitaetsstadt",): (("gemeinde",), ()),
    ("kreisstadt",): (("gemeinde",), ()),
    ("land",): (("land",), ()),
    ("bundesland",): (("land",), ()),
    ("freistaat",): (("land",), ()),
    ("freie", "hansestadt"): (("land",), ()),
    ("freie", "und", "hansestadt"): (("land",), ()),
    ("landesregierung",): (("land",), ()),
    # The administration named instead of its territory ("Stadtverwaltung Trier").
    ("stadtverwaltung",): (("gemeinde",), ()),
    ("stadtgemeinde",): (("gemeinde",), ()),
    ("magistrat", "der", "stadt"): (("gemeinde",), ()),
    ("gemeindeverwaltung",): (("gemeinde",), ()),
    ("buergermeisteramt",): (("gemeinde",), ()),
    ("flecken",): (("gemeinde",), ()),
    ("kreisverwaltung",): (("kreis",), ()),
    ("landkreisverwaltung",): (("kreis",), ()),
    ("landratsamt",): (("kreis",), ()),
}
# Words that say the place is a town: among namesakes, only a Stadt qualifies
# ("Stadt Hof": Hof in Bayern, not the village Hof in the Westerwald).
_CITY_WORDS = {
    ("kreisfreie", "stadt"), ("grosse", "kreisstadt"), ("stadtkreis",), ("stadt",), ("hansestadt",), ("landeshauptstadt",),
    ("universitaetsstadt",), ("kreisstadt",), ("stadtverwaltung",), ("magistrat", "der", "stadt"),
}
# The same after a name ("Ennepe-Ruhr-Kreis", "Lübeck, Hansestadt"). Not "Land" or
# "Region": "Ilzer Land" or "Wendeler Land" are no Länder. After a comma (the
# form of official lists: "Hannover, Region", "Aachen, Städteregion") every
# administrative word counts, see _comma_suffix.
_ADMIN_SUFFIXES = {
    words: implied
    for words, implied in _ADMIN_PREFIXES.items()
    if words in {("landkreis",), ("kreis",), ("stadt",), ("gemeinde",), ("markt",), ("hansestadt",), ("landeshauptstadt",), ("universitaetsstadt",), ("kreisfreie", "stadt")}
}
# Abbreviations of official lists after a comma ("Monheim, St", "Dinkelsbühl, GKSt").
_SUFFIX_ABBREVIATIONS = {"st": "stadt", "m": "markt", "gkst": "grosse kreisstadt", "krst": "kreisstadt", "lkr": "landkreis", "lk": "landkreis",
                         "kr": "kreis", "krfr st": "kreisfreie stadt", "gem": "gemeinde", "vgem": "verwaltungsgemeinschaft", "vg": "verbandsgemeinde"}
# Words for Germany as a whole: a national project links to the region DG.
_NATIONAL = {"deutschland", "bundesweit", "bund", "bundesrepublik", "bundesrepublik deutschland", "brd", "deutschlandweit",
             "ganz deutschland", "bundesgebiet", "gesamtes bundesgebiet", "germany"}
# Words before a Bezirk of a city-state ("Bezirksamt Pankow").
_DISTRICT_WORDS = {("bezirk",), ("bezirksamt",), ("stadtbezirk",), ("stadtbezirksamt",), ("stadtteil",), ("ortsteil",)}
# Qualifiers that name one Land ("Münster (Westf.)", "Neustadt, Hessen"):
# Länder by their short names and regions that lie in one Land only.
_REGION_QUALIFIERS = {
    "westfalen": "05", "lippe": "05", "sauerland": "05", "nrw": "05", "holstein": "01", "ostholstein": "01", "dithmarschen": "01",
    "ostfriesland": "03", "emsland": "03", "nds": "03", "oberpfalz": "09", "oberbayern": "09", "niederbayern": "09",
    "oberfranken": "09", "mittelfranken": "09", "unterfranken": "09", "pfalz": "07", "hunsrueck": "07", "rlp": "07",
    "breisgau": "08", "wuerttemberg": "08", "baden": "08", "schwarzwald": "08", "bw": "08", "erzgebirge": "14",
    "oberlausitz": "14", "altmark": "15", "lsa": "15", "uckermark": "12", "prignitz": "12", "mv": "13", "sh": "01",
}
# Words after which an official name carries a qualifier ("Frankfurt am Main").
_QUALIFIER_WORDS = {"im", "am", "an", "in", "bei", "ob", "unter", "vor", "auf"}
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[" + "".join(re.escape(chr(c)) for c in range(0x30000) if unicodedata.category(chr(c)) == "Cf") + "]")
_UMLAUT_CHARS = re.compile(r"[äöüÄÖÜ]")
_KEY_PATTERN = re.compile(r"^\s*(DG|\d{1,9})\s*$")
_SPLIT_COOPERATION = re.compile(r"\s+in\s+kooperation\s+mit\s+|\s*,\s*|\s+und\s+|\s+sowie\s+|\s*;\s*|\s+&\s+", re.IGNORECASE)
_COOPERATION_PREFIX = re.compile(r"^\s*(interkommunale\s+)?kooperation(\s+der|\s+von)?\s+", re.IGNORECASE)


def clean_text(text: object) -> str:
    """The text without invisible characters pasted from web pages (soft hyphen
    U+00AD, zero-width space and joiners, word joiner, byte-order mark: Unicode
    category Cf) and with every kind of space (NBSP, thin space …) as one space."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", str(text)))
    return _SPACES.sub(" ", text).strip()


def tokenise(text: str, umlaut: str = "ae") -> list[str]:
    """Lower-case ASCII tokens of a name, abbreviations written out.

    Case, umlauts, accents and punctuation follow the gazetteer's one rule
    (:func:`etl.gazetteer.fold`): ``umlaut="ae"`` writes "ü" as "ue" (the
    official transliteration, and how the lab slug ``muenchen`` is written),
    ``"a"`` drops the dots (how "Dusseldorf" is typed)."""
    return list(_tokens(str(text), umlaut))


@lru_cache(maxsize=200_000)
def _tokens(text: str, umlaut: str) -> tuple[str, ...]:
    # Cached: building a resolver tokenises every official name several times.
    raw = fold(clean_text(text), umlaut).split()
    out: list[str] = []
    i = 0
    while i < len(raw):
        pair = tuple(raw[i : i + 2])
        if len(pair) == 2 and pair in _PAIR_ABBREVIATIONS:
            out.extend(_PAIR_ABBREVIATIONS[pair].split())
            i += 2
            continue
        out.extend(_ABBREVIATIONS.get(raw[i], raw[i]).split())
        i += 1
    return tuple(out)


def normalise_name(text: str, umlaut: str = "ae") -> str:
    """The comparable form of a name: "Freiburg i. Br." → "freiburg im breisgau"."""
    return " ".join(tokenise(text, umlaut))


def strip_admin_words(tokens: list[str]) -> tuple[list[str], tuple[str, ...], tuple[str, ...], bool]:
    """Remove administrative words before or after a name; return the rest, the
    levels and types they imply (empty when there was none) and whether one of
    them says the place is a town ("Stadt", "Hansestadt", …)."""
    levels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    city = False
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for words, (lv, ty) in sorted(_ADMIN_PREFIXES.items(), key=lambda kv: -len(kv[0])):
            n = len(words)
            if len(tokens) > n and tuple(tokens[:n]) == words:
                tokens = tokens[n:]
            elif len(tokens) > n and words in _ADMIN_SUFFIXES and tuple(tokens[-n:]) == words:
                tokens = tokens[:-n]
            else:
                continue
            levels = levels or lv
            types = types or ty
            city = city or words in _CITY_WORDS
            changed = True
            break
    return tokens, levels, types, city


def comma_suffix(text: str) -> str:
    """The form of official lists, "Name, Art", written "Art Name": "Hannover,
    Region" → "Region Hannover", "Monheim, St" → "Stadt Monheim". Text whose part
    after the last comma is no administrative word is returned as it was."""
    head, sep, tail = text.rpartition(",")
    if not sep or not head.strip():
        return text
    words = fold(tail)
    words = _SUFFIX_ABBREVIATIONS.get(words, words)
    known = {" ".join(w) for w in (*_ADMIN_PREFIXES, *VERBAND_WORDS)}
    return f"{words} {head.strip()}" if words in known else text


def short_forms(name: str, umlaut: str = "ae") -> set[str]:
    """Weaker forms an official name also answers to: without bracket, slash part or qualifier."""
    forms = set()
    without_bracket = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
    if without_bracket and without_bracket != name:
        forms.add(normalise_name(without_bracket, umlaut))
    if "/" in name:
        forms.add(normalise_name(name.split("/")[0], umlaut))
    for base in {name, without_bracket}:
        tokens = tokenise(base, umlaut)
        for i, tok in enumerate(tokens):
            if i >= 1 and tok in _QUALIFIER_WORDS:
                forms.add(" ".join(tokens[:i]))
                break
    forms.discard("")
    return forms


def split_names(text: str) -> list[str]:
    """Split a published cooperation into its members, lead first.

    "Kooperation A, B und C" → [A, B, C]; "A in Kooperation mit B und C" → [A, B, C];
    "A und Gemeinde B/Mark" → [A, "Gemeinde B/Mark"] (a slash stays inside a name).
    """
    text = _COOPERATION_PREFIX.sub("", str(text).strip())
    parts = [p.strip() for p in _SPLIT_COOPERATION.split(text)]
    return [p for p in parts if p]


@dataclass(frozen=True)
class Candidate:
    region_id: str
    level: str
    name: str
    type: str
    land_id: str | None

    def __str__(self) -> str:
        return f"{self.region_id} {self.name} ({self.type})"


@dataclass(frozen=True)
class Context:
    """What is known about a name besides the name itself."""

    registry: str = "*"
    levels: tuple[str, ...] = LEVEL_ORDER  # in order of preference
    land_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    max_km: float = 30.0
    # Region types that fit the registry's category ("Großstädte" → a Stadt);
    # used only to decide between several candidates, never to find one.
    prefer_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolved:
    query: str
    regions: tuple[Candidate, ...]
    method: str  # key, name, override, coordinates, land, category
    note: str = ""


class ResolutionError(Exception):
    """A name that does not resolve to exactly one region; lists the candidates."""

    kind = "unresolved"

    def __init__(self, query: str, context: Context, candidates: Iterable[Candidate] = (), detail: str = ""):
        self.query = query
        self.context = context
        self.candidates = tuple(candidates)
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.kind} region name {self.query!r}"
        if self.detail:
            text += f": {self.detail}"
        if self.candidates:
            listed = "; ".join(str(c) for c in self.candidates[:12])
            more = f" and {len(self.candidates) - 12} more" if len(self.candidates) > 12 else ""
            text += f" (candidates: {listed}{more})"
        return text


class AmbiguousName(ResolutionError):
    kind = "ambiguous"


class UnknownName(ResolutionError):
    kind = "unknown"


@dataclass(frozen=True)
class Override:
    name: str
    context: str
    keys: tuple[str, ...]
    reason: str


@dataclass
class _Entry:
    candidate: Candidate
    tokens: list[str] = field(default_factory=list)
    # comparable forms per umlaut rule ("ae": "ü" → "ue", "a": dots dropped)
    exact: dict[str, set[str]] = field(default_factory=dict)
    short: dict[str, set[str]] = field(default_factory=dict)
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class District:
    """A Bezirk of a city-state, linked to its city (``data/city_districts.csv``)."""

    name: str
    city_key: str
    reference: str


def read_overrides(path: Path = paths.RESOLVER_OVERRIDES_FILE) -> pd.DataFrame:
    """The reviewed override file: one row per (name, context, key) with the key's
    official name (checked against the regions) and the reason."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not (r.get("name") or "").startswith("#")]
    frame = pd.DataFrame(rows, columns=["name", "context", "key", "key_name", "reason"]).fillna("")
    return frame.astype(str).apply(lambda s: s.str.strip())


def read_districts(path: Path = paths.CITY_DISTRICTS_FILE) -> pd.DataFrame:
    """The declared Bezirke of the city-states: name, city_key, city_name, alone, reference."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return pd.DataFrame(rows, columns=["name", "city_key", "city_name", "alone", "reference"]).fillna("").astype(str)


# A point within this distance of a region's (generalised, VG5000) shape counts
# as inside it: the shapes are drawn at 1:5,000,000 and a border can be off by
# several hundred metres.
POINT_TOLERANCE_KM = 2.0


class Resolver:
    """One resolver for all registries: build once per regions table.

    ``shapes`` (optional): the warehouse's ``region_shapes``; with them a point
    decides between namesakes by the region it lies in, and
    :meth:`distance_km` checks a point against a named region."""

    def __init__(self, regions: pd.DataFrame, overrides: pd.DataFrame | None = None, *,
                 districts: pd.DataFrame | None = None, shapes: pd.DataFrame | None = None):
        # Unincorporated areas (forests, lakes) are no place a project is located in.
        types = regions.get("type", pd.Series("", index=regions.index))
        usable = regions[(regions["level"].isin((*LEVEL_ORDER, "bund")) & (types != "Gemeindefreies Gebiet"))
                         | ((regions["level"] == "verband") & types.isin(VERBAND_TYPES))]
        self._by_id: dict[str, _Entry] = {}
        self._index: dict[str, dict[str, list[str]]] = {"ae": {}, "a": {}, "compact": {}}
        for row in usable.itertuples(index=False):
            cand = Candidate(str(row.region_id), row.level, row.name, getattr(row, "type", "") or "", _text(getattr(row, "land_id", None)))
            entry = _Entry(cand, tokenise(row.name), lat=_float(getattr(row, "lat", None)), lon=_float(getattr(row, "lon", None)))
            for umlaut in ("ae", "a"):
                tokens = tokenise(row.name, umlaut)
                core = strip_admin_words(list(tokens))[0]
                entry.exact[umlaut] = {" ".join(tokens), " ".join(core)}
                entry.short[umlaut] = (short_forms(row.name, umlaut) | short_forms(" ".join(core), umlaut)) - entry.exact[umlaut]
                for form in entry.exact[umlaut] | entry.short[umlaut]:
                    self._index[umlaut].setdefault(form, []).append(cand.region_id)
                for form in entry.exact[umlaut]:
                    ids = self._index["compact"].setdefault(form.replace(" ", ""), [])
                    if cand.region_id not in ids:
                        ids.append(cand.region_id)
            self._by_id[cand.region_id] = entry
        self._overrides: dict[tuple[str, str], Override] = {}
        if overrides is not None and not overrides.empty:
            self._load_overrides(overrides)
        self._districts: dict[str, list[District]] = {}
        self._load_districts(read_districts() if districts is None else districts)
        self._shapes: dict[str, object] = {}
        if shapes is not None and len(shapes):
            full = shapes[shapes["resolution"] == "full"] if "resolution" in shapes else shapes
            self._shapes = dict(zip(full["region_id"].astype(str), full.geometry))

    @classmethod
    def from_files(cls, regions: pd.DataFrame, overrides_file: Path = paths.RESOLVER_OVERRIDES_FILE, *,
                   shapes: pd.DataFrame | None = None) -> Resolver:
        """The resolver of these regions with the reviewed files, built once per
        process for the same inputs: an import checks its file and then reruns
        the step ``registries`` on the same regions (building one takes about a
        second of CPU; the check of a registry, milliseconds)."""
        if shapes is not None and "resolution" in shapes:
            shapes = shapes[shapes["resolution"] == "full"]  # the ones it reads
        key = (_fingerprint(regions), _fingerprint(shapes), *(
            (str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in (Path(overrides_file), paths.CITY_DISTRICTS_FILE)))
        cached = _LAST_BUILT.get(key)
        if cached is None:
            cached = cls(regions, read_overrides(overrides_file), shapes=shapes)
            _LAST_BUILT.clear()  # one resolver kept: the regions of one warehouse
            _LAST_BUILT[key] = cached
        return cached

    def _load_overrides(self, frame: pd.DataFrame) -> None:
        problems = []
        grouped: dict[tuple[str, str], list[dict]] = {}
        for row in frame.to_dict("records"):
            grouped.setdefault((normalise_name(row["name"]), row["context"] or "*"), []).append(row)
        for (name, context), rows in grouped.items():
            keys = []
            for row in rows:
                entry = self._by_id.get(row["key"])
                if entry is None:
                    problems.append(f"{row['name']!r}: key {row['key']!r} is not a region of the 2021 status")
                elif row.get("key_name") and row["key_name"] != entry.candidate.name:
                    problems.append(f"{row['name']!r}: key {row['key']} is {entry.candidate.name!r}, not {row['key_name']!r}")
                if not row.get("reason"):
                    problems.append(f"{row['name']!r}: override without a reason")
                keys.append(row["key"])
            reason = " | ".join(dict.fromkeys(r["reason"] for r in rows if r.get("reason")))
            self._overrides[(name, context)] = Override(rows[0]["name"], context, tuple(dict.fromkeys(keys)), reason)
        if problems:
            raise ValueError("resolver overrides do not fit the regions: " + "; ".join(problems))

    def _load_districts(self, frame: pd.DataFrame) -> None:
        for row in frame.to_dict("records"):
            if row["city_key"] not in self._by_id:  # a regions table without that city (a test's invented country)
                continue
            district = District(row["name"], row["city_key"], row["reference"])
            city = row["city_name"]
            names = [f"{city} {row['name']}"] + ([row["name"]] if row["alone"].strip().lower() == "yes" else [])
            for umlaut in ("ae", "a"):
                for name in names:
                    self._districts.setdefault(normalise_name(name, umlaut), []).append(district)

    @property
    def overrides(self) -> list[Override]:
        return list(self._overrides.values())

    def candidate(self, region_id: str) -> Candidate:
        return self._by_id[region_id].candidate

    def distance_km(self, region_id: str, lat: float, lon: float) -> float | None:
        """How far a point (WGS 84) lies outside a region's shape (0 inside), or
        None without a shape. Planar in a local frame: exact enough for km."""
        import shapely

        geom = self._shapes.get(region_id)
        if geom is None:
            return None
        if shapely.contains_xy(geom, lon, lat):
            return 0.0
        kx, ky = 111.32 * math.cos(math.radians(lat)), 110.57
        local = shapely.transform(geom, lambda xy: (xy - [lon, lat]) * [kx, ky])
        return float(shapely.distance(local, shapely.Point(0.0, 0.0)))

    def resolve(self, name: str, context: Context = Context()) -> Resolved:
        """The region(s) a published name means, or a ResolutionError listing candidates.

        Tried in this order, each only when the ones before found no region of
        the name at all (a name that fits several regions is refused, never
        passed on): the key; Germany as a whole; the override file; the name as
        written (administrative words before or after it, also after a comma,
        tell the level); then, for a name that fits no region: a Gemeindeverband
        named with its word ("VG Arzfeld"); umlauts typed without dots ("Dusseldorf"); the name written
        together ("Hohenlohe Kreis"); an honorific ("Klingenstadt Solingen");
        a qualifier the official name has not ("Münster (Westf.)"); a Bezirk of
        a city-state; a part of a city ("Köln-Ehrenfeld")."""
        query = clean_text(name)
        if not query:
            raise UnknownName(query, context, detail="empty name")
        key_match = _KEY_PATTERN.match(query)
        if key_match:
            return self._resolve_key(key_match.group(1), context)
        if fold(query) in _NATIONAL:
            return self._national(query, context)
        text = comma_suffix(query)
        for form in dict.fromkeys((normalise_name(query), normalise_name(text))):
            for ctx_name in (context.registry, "*"):
                override = self._overrides.get((form, ctx_name))
                if override is not None:
                    cands = tuple(self._by_id[k].candidate for k in override.keys)
                    return Resolved(query, cands, "override", override.reason)

        tokens = tokenise(text)
        core, hint_levels, hint_types, city = strip_admin_words(list(tokens))
        levels = tuple(lv for lv in context.levels if not hint_levels or lv in hint_levels) or hint_levels
        if city and not context.prefer_types:
            context = replace(context, prefer_types=CITY_TYPES)

        def match(forms: Iterable[str], index: str = "ae", types: tuple[str, ...] = hint_types) -> dict[str, bool]:
            found: dict[str, bool] = {}  # region_id → exact?
            for form in forms:
                for rid in self._index[index].get(form, ()):
                    entry = self._by_id[rid]
                    if entry.candidate.level not in levels or (types and entry.candidate.type not in types):
                        continue
                    exact = index == "compact" or form in entry.exact[index]
                    found[rid] = found.get(rid, False) or exact
            return found

        forms = {" ".join(tokens), " ".join(core)}
        matches = match(forms)
        note = ""
        if not matches:
            found = self._by_verband(query, context, tokens)
            if found is not None:
                return found
        if not matches and not _UMLAUT_CHARS.search(query):
            matches = match({" ".join(tokenise(text, "a")), " ".join(strip_admin_words(tokenise(text, "a"))[0])}, "a")
            note = "umlauts typed without dots" if matches else ""
        if not matches:
            matches = match({f.replace(" ", "") for f in forms}, "compact")
            note = "the name written apart or together" if matches else ""
        # "Klingenstadt Solingen", "Lutherstadt Eisleben", "Hanse- und
        # Universitätsstadt Rostock": an honorific (of up to four words, the
        # last ending in "-stadt") that only a Stadt carries, as long as the
        # name is no region itself.
        honorific = max((i for i, w in enumerate(core[:4]) if i < len(core) - 1 and w.endswith("stadt") and (i > 0 or len(w) > len("stadt"))), default=None)
        if not matches and honorific is not None:
            matches = match({" ".join(core[honorific + 1:])}, types=CITY_TYPES)
            note = f"the honorific {' '.join(core[:honorific + 1])!r} of a Stadt" if matches else ""
        if not matches:
            found = self._by_qualifier(query, context, text, core, levels, hint_types)
            if found is not None:
                return found
        if not matches:
            found = self._by_district(query, context, tokens, text)
            if found is not None:
                return found
        if not matches:
            raise UnknownName(query, context, self.suggest(query, levels), detail="no region of that name at level " + "/".join(levels))
        resolved = self._choose(query, context, matches, levels)
        return replace(resolved, note=resolved.note or note)

    def _choose(self, query: str, context: Context, matches: dict[str, bool], levels: tuple[str, ...]) -> Resolved:
        by_level = {lv: [rid for rid in matches if self._by_id[rid].candidate.level == lv] for lv in levels}
        first = next(lv for lv in levels if by_level[lv])
        chosen = by_level[first]
        if not any(matches[rid] for rid in chosen):
            # Only short forms at the preferred level: an exact name at another level competes.
            exact_elsewhere = [rid for lv in levels if lv != first for rid in by_level[lv] if matches[rid]]
            lands = [rid for rid in exact_elsewhere if self._by_id[rid].candidate.level == "land"]
            if len(lands) == 1 and lands == exact_elsewhere and not self._point_in_any(context, chosen):
                # A Land's exact name ("Sachsen", "Brandenburg") means the Land: the
                # Gemeinden that share the word carry it with a qualifier in their
                # official name (Sachsen b. Ansbach, Brandenburg an der Havel) and
                # are written with it, or as "Stadt Brandenburg", when meant.
                others = ", ".join(str(self._by_id[r].candidate) for r in chosen)
                return Resolved(query, (self._by_id[lands[0]].candidate,), "name", f"the exact name of a Land; not the shortened name of {others}")
            if exact_elsewhere:
                if context.lat is not None and context.lon is not None:
                    # "Oldenburg" at a point in the city: not the Landkreis of that name.
                    inside = [r for r in chosen + exact_elsewhere if self._point_in_any(context, [r])]
                    if len(inside) == 1:
                        return Resolved(query, (self._by_id[inside[0]].candidate,), "coordinates", "the given point lies in its area; in no other candidate's")
                both = [self._by_id[r].candidate for r in chosen + exact_elsewhere]
                raise AmbiguousName(query, context, both, detail="a shortened official name at one level and an exact name at another")
        if len(chosen) == 1:
            return Resolved(query, (self._by_id[chosen[0]].candidate,), "name")
        return self._decide(query, context, chosen)

    def _point_in_any(self, context: Context, ids: list[str]) -> bool:
        if context.lat is None or context.lon is None:
            return False
        return any((d := self.distance_km(rid, context.lat, context.lon)) is not None and d <= POINT_TOLERANCE_KM for rid in ids)

    def _decide(self, query: str, context: Context, ids: list[str]) -> Resolved:
        """Several regions of that name at one level: let the context decide, or refuse."""
        cands = [self._by_id[r] for r in ids]
        if context.land_id:
            in_land = [e for e in cands if e.candidate.land_id == context.land_id]
            if len(in_land) == 1:
                return Resolved(query, (in_land[0].candidate,), "land", f"the only candidate in Land {context.land_id}")
            if in_land:
                cands = in_land
        if context.lat is not None and context.lon is not None:
            inside = [e for e in cands if (d := self.distance_km(e.candidate.region_id, context.lat, context.lon)) is not None and d <= POINT_TOLERANCE_KM]
            if len(inside) == 1:
                return Resolved(query, (inside[0].candidate,), "coordinates", "the given point lies in its area; in no other candidate's")
            dist = sorted(((_km(context.lat, context.lon, e.lat, e.lon), e) for e in cands if e.lat is not None), key=lambda x: x[0])
            near = [(d, e) for d, e in dist if d <= context.max_km]
            if len(near) == 1:
                d, e = near[0]
                return Resolved(query, (e.candidate,), "coordinates", f"{d:.0f} km from the given point; other candidates more than {context.max_km:.0f} km away")
        if context.prefer_types:
            fitting = [e for e in cands if e.candidate.type in context.prefer_types]
            if len(fitting) == 1:
                return Resolved(query, (fitting[0].candidate,), "category", f"the only candidate of type {fitting[0].candidate.type}")
        raise AmbiguousName(query, context, [e.candidate for e in cands], detail=f"{len(cands)} regions carry that name; add context or an override")

    def _by_verband(self, query: str, context: Context, tokens: list[str]) -> Resolved | None:
        """A name with a word for a Gemeindeverband before or after it ("VG
        Arzfeld", "Amt Büchen"): the Verband of that name, of the type the word
        names first, else of any Verband type; several left are decided by the
        context (Land, point), else refused; none is refused with the Gemeinden
        of that name listed (the seat is not the Verband)."""
        kind = verband_name(tokens)
        if kind is None:
            return None
        words, raw = kind
        word_types = VERBAND_WORDS[words]
        # Typed without umlauts ("Amt Buchen"): the index of names without their dots too.
        indexes = ("ae",) if _UMLAUT_CHARS.search(query) else ("ae", "a")
        found: dict[str, bool] = {}  # region_id → exact?
        for index in indexes:
            for rid in self._index[index].get(raw, ()):
                found[rid] = found.get(rid, False) or raw in self._by_id[rid].exact[index]
        verbands = [r for r in found if self._by_id[r].candidate.level == "verband"]
        exact = [r for r in verbands if found[r]]
        own = [r for r in exact if self._by_id[r].candidate.type in word_types]
        # The name as the Verband's own (of the type the word names, else of
        # another); a shortened name ("Neustadt" for "Neustadt a.d. Waldnaab")
        # only when no exact one exists, of any type.
        ids = own or exact or verbands
        if ids:
            note = f"a Gemeindeverband ({' '.join(words)})" + ("" if own else f", of type {self._by_id[ids[0]].candidate.type}")
            if len(ids) == 1:
                return Resolved(query, (self._by_id[ids[0]].candidate,), "name", note)
            return self._decide(query, context, ids)
        namesakes = [self._by_id[r].candidate for r in found if self._by_id[r].candidate.level == "gemeinde"]
        seat = "; the Gemeinde of the same name is only its seat, so it is not linked" if namesakes else ""
        raise UnknownName(query, context, namesakes + self.suggest(raw, ("verband",)),
                          detail=f"no Gemeindeverband ({', '.join(word_types)}) of that name{seat}: "
                                 "write the Verband's 9-digit key, or the keys of its member Gemeinden")

    def _by_qualifier(self, query: str, context: Context, text: str, core: list[str], levels: tuple[str, ...],
                      types: tuple[str, ...]) -> Resolved | None:
        """A name with a qualifier its official name lacks or writes otherwise:
        "Halle an der Saale" is "Halle (Saale)"; "Münster (Westf.)" is the Münster
        in Nordrhein-Westfalen (the qualifier names a Land or a region in one Land)."""
        bracket = re.match(r"^(.*?)\s*\((.+)\)\s*$", text)
        if bracket:
            base = strip_admin_words(tokenise(bracket.group(1)))[0]
            qualifier = tokenise(bracket.group(2))
        else:
            at = next((i for i, t in enumerate(core) if i >= 1 and t in _QUALIFIER_WORDS), None)
            if at is not None:
                base, qualifier = core[:at], [t for t in core[at + 1 :] if t not in ("der", "dem", "den", "die")]
            elif len(core) > 1 and (core[-1] in _REGION_QUALIFIERS or self._land_of(core[-1:])):
                base, qualifier = core[:-1], core[-1:]
            else:
                return None
        if not base or not qualifier:
            return None
        found: dict[str, bool] = {}
        for umlaut in ("ae", "a"):
            for rid in self._index[umlaut].get(" ".join(base), ()):
                cand = self._by_id[rid].candidate
                if cand.level in levels and (not types or cand.type in types):
                    found[rid] = True
        if not found:
            return None

        def own_qualifier(rid: str) -> list[str]:
            tokens = self._by_id[rid].tokens
            rest = tokens[len(base):] if tokens[: len(base)] == base else tokens
            return [t for t in rest if t not in _QUALIFIER_WORDS and t not in ("der", "dem", "den", "die")]

        written = [rid for rid in found if all(any(t.startswith(q) for t in own_qualifier(rid)) for q in qualifier)]
        if len(written) == 1:
            return Resolved(query, (self._by_id[written[0]].candidate,), "name", "the qualifier as written in the official name")
        if len(written) > 1:
            return self._choose(query, context, {rid: True for rid in written}, levels)
        land = self._land_of(qualifier)
        if land:
            # In that Land, and without a qualifier of its own that says otherwise.
            in_land = [rid for rid in found if self._by_id[rid].candidate.land_id == land and not own_qualifier(rid)]
            if len(in_land) == 1:
                return Resolved(query, (self._by_id[in_land[0]].candidate,), "land", f"the qualifier names Land {land}")
            if in_land:
                return self._choose(query, context, {rid: True for rid in in_land}, levels)
        raise AmbiguousName(query, context, [self._by_id[r].candidate for r in found],
                            detail=f"no region called {' '.join(base)!r} fits the qualifier {' '.join(qualifier)!r}")

    def _land_of(self, qualifier: list[str]) -> str | None:
        """The Land a qualifier names: a Land's name, or a region of one Land."""
        text = " ".join(qualifier)
        if text in _REGION_QUALIFIERS:
            return _REGION_QUALIFIERS[text]
        lands = [rid for rid in self._index["ae"].get(text, ()) if self._by_id[rid].candidate.level == "land" and text in self._by_id[rid].exact["ae"]]
        return lands[0] if len(lands) == 1 else None

    def _by_district(self, query: str, context: Context, tokens: list[str], text: str) -> Resolved | None:
        """A Bezirk of a city-state (declared) or a part of a city written
        "City-Part" ("Köln-Ehrenfeld"): linked to the city, method "district"."""
        rest = tokens
        for words in _DISTRICT_WORDS:
            if len(tokens) > len(words) and tuple(tokens[: len(words)]) == words:
                rest = tokens[len(words):]
        declared = {d.city_key: d for d in self._districts.get(" ".join(rest), ()) if not context.land_id or d.city_key[:2] == context.land_id}
        if len(declared) == 1:
            d = next(iter(declared.values()))
            city = self._by_id[d.city_key].candidate
            return Resolved(query, (city,), "district", f"{d.name} is a Bezirk of {city.name} ({d.reference}): linked to the city")
        if len(declared) > 1:
            raise AmbiguousName(query, context, [self._by_id[k].candidate for k in declared], detail="a Bezirk of that name in several cities")
        left, sep, right = text.partition("-")
        if not sep or not left.strip() or not right.strip():
            return None
        try:
            city = self.resolve(left, replace(context, levels=("gemeinde",), prefer_types=CITY_TYPES))
        except AmbiguousName as err:
            raise AmbiguousName(query, context, err.candidates, detail=f"a part of {left.strip()!r}, a name several towns carry") from None
        except ResolutionError:
            return None
        if len(city.regions) != 1 or city.regions[0].type not in CITY_TYPES or city.method not in ("name", "land", "coordinates", "category"):
            return None
        # "Köln-Bonn" names two towns, not a part of Köln.
        namesakes = [self._by_id[r].candidate for r in self._index["ae"].get(normalise_name(right), ())]
        towns = [c for c in namesakes if c.level != "gemeinde" or c.type in CITY_TYPES]
        if towns:
            raise AmbiguousName(query, context, [city.regions[0], *towns], detail="two places joined by a hyphen, or a part of a city")
        return Resolved(query, city.regions, "district", f"{right.strip()!r} is a part of {city.regions[0].name}: linked to the city")

    def _national(self, query: str, context: Context) -> Resolved:
        if "bund" in context.levels and GERMANY_ID in self._by_id:
            return Resolved(query, (self._by_id[GERMANY_ID].candidate,), "name", "Germany as a whole (a national project)")
        raise UnknownName(query, context, detail="Germany as a whole is not a region this registry links projects to")

    def _resolve_key(self, text: str, context: Context) -> Resolved:
        if text == GERMANY_ID:
            return replace(self._national(text, context), method="key")
        found = []
        for level in ("land", "rbz", "kreis", "verband", "gemeinde"):
            key = normalise_key(text, level)
            if key is not None and key in self._by_id:
                found.append(self._by_id[key].candidate)
        if len(found) == 1:
            return Resolved(text, tuple(found), "key")
        if not found:
            raise UnknownName(text, context, detail="not a key of the 2021 status (Land 2, Kreis 5, Gemeinde 8 digits, "
                                                    "Gemeindeverband 9 digits of its ARS)")
        raise AmbiguousName(text, context, found, detail="a key with lost leading zeros that fits several levels; write it with all digits")

    def suggest(self, name: str, levels: tuple[str, ...] = LEVEL_ORDER, limit: int = 5) -> list[Candidate]:
        """Close names, to help a user correct a typo (never used to resolve)."""
        from rapidfuzz import fuzz, process

        choices = {rid: normalise_name(e.candidate.name) for rid, e in self._by_id.items() if e.candidate.level in levels}
        hits = process.extract(normalise_name(name), choices, scorer=fuzz.ratio, limit=limit, score_cutoff=80)
        return [self._by_id[rid].candidate for _, _, rid in hits]


_LAST_BUILT: dict[tuple, Resolver] = {}


def _fingerprint(frame: pd.DataFrame | None) -> tuple | None:
    """A content hash of the columns a resolver reads (shapes: their WKB)."""
    if frame is None:
        return None
    columns = [c for c in ("region_id", "level", "name", "type", "land_id", "kreis_id", "lat", "lon", "resolution") if c in frame]
    parts = [frame[columns].astype("string")] if columns else []
    if "geometry" in frame:
        import shapely

        parts.append(pd.DataFrame({"wkb": shapely.to_wkb(frame.geometry.to_numpy())}))
    values = [int(pd.util.hash_pandas_object(p, index=False).sum()) for p in parts]
    return (len(frame), tuple(columns), *values)


def with_point(context: Context, lat: object, lon: object) -> Context:
    """The context with a point, when both coordinates are numbers."""
    la, lo = _float(lat), _float(lon)
    if la is None or lo is None:
        return context
    return replace(context, lat=la, lon=lo)


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _float(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _km(lat1: float, lon1: float, lat2: float | None, lon2: float | None) -> float:
    if lat2 is None or lon2 is None:
        return math.inf
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
