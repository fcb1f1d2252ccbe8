"""Names as published → official region keys, for every registry.

In: the ``regions`` table (status 2021-01-01: region_id, level, name, type,
land_id, kreis_id, lat, lon) and the reviewed override file
``data/resolver_overrides.csv`` (name, context, key, key_name, reason).
Out: for a published name and its context, a :class:`Resolved` (one or more
regions, how they were found) or a :class:`ResolutionError` that lists the
candidate keys and names. Ambiguity is never decided by taking the first match:
a name is resolved only when exactly one region fits after normalisation and
context, or when the override file says which regions it means.

Normalisation (both sides): case, umlauts and ß (ä → ae, so the lab slug
``muenchen`` meets "München"), other accents, punctuation and slashes; the
abbreviations "i." / "a." / "b." / "i.d." / "a.d." / "St." and a few qualifier
abbreviations ("Br." Breisgau, "OPf." Oberpfalz, "Westf." Westfalen) as
written out in official names; administrative words before or after the name
("Stadt", "Gemeinde", "Markt", "Landkreis", "Kreis", "Region", …), which also
tell the level. An official name also answers to its short forms: without the
bracket ("Kempten (Allgäu)" → Kempten), without the part after a slash
("Mühlhausen/Thüringen" → Mühlhausen) and without a qualifier
("Freiburg im Breisgau" → Freiburg). A short form is a weaker match: when a
short form at the preferred level competes with an exact match at another
allowed level ("Brandenburg": the city Brandenburg an der Havel or the Land),
the name is refused.

Context: the levels the name may denote, in order of preference (a town's
project means the Gemeinde, not the Kreis of a kreisfreie Stadt of the same
name); the Land; a point (a lab's coordinates) that decides between namesakes
more than ``max_km`` apart; the registry's category (a "Großstadt" is a Stadt,
not a village of the same name).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from etl import paths
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
}
# The same after a name ("Ennepe-Ruhr-Kreis", "Lübeck, Hansestadt"). Not "Land" or
# "Region": "Ilzer Land" or "Wendeler Land" are no Länder.
_ADMIN_SUFFIXES = {
    words: implied
    for words, implied in _ADMIN_PREFIXES.items()
    if words in {("landkreis",), ("kreis",), ("stadt",), ("gemeinde",), ("markt",), ("hansestadt",), ("landeshauptstadt",), ("universitaetsstadt",), ("kreisfreie", "stadt")}
}
# Words after which an official name carries a qualifier ("Frankfurt am Main").
_QUALIFIER_WORDS = {"im", "am", "an", "in", "bei", "ob", "unter", "vor", "auf"}
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_KEY_PATTERN = re.compile(r"^\s*(DG|\d{1,8})\s*$")
_SPLIT_COOPERATION = re.compile(r"\s+in\s+kooperation\s+mit\s+|\s*,\s*|\s+und\s+|\s+sowie\s+|\s*;\s*|\s+&\s+", re.IGNORECASE)
_COOPERATION_PREFIX = re.compile(r"^\s*(interkommunale\s+)?kooperation(\s+der|\s+von)?\s+", re.IGNORECASE)


def tokenise(text: str) -> list[str]:
    """Lower-case ASCII tokens of a name, abbreviations written out."""
    text = unicodedata.normalize("NFC", str(text)).strip().lower().translate(_TRANSLITERATION)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    raw = re.findall(r"[a-z0-9]+", text)
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
    return out


def normalise_name(text: str) -> str:
    """The comparable form of a name: "Freiburg i. Br." → "freiburg im breisgau"."""
    return " ".join(tokenise(text))


def strip_admin_words(tokens: list[str]) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """Remove administrative words before or after a name; return the rest and
    the levels and types they imply (empty when there was none)."""
    levels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
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
            changed = True
            break
    return tokens, levels, types


def short_forms(name: str) -> set[str]:
    """Weaker forms an official name also answers to: without bracket, slash part or qualifier."""
    forms = set()
    without_bracket = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
    if without_bracket and without_bracket != name:
        forms.add(normalise_name(without_bracket))
    if "/" in name:
        forms.add(normalise_name(name.split("/")[0]))
    for base in {name, without_bracket}:
        tokens = tokenise(base)
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
    exact: set[str] = field(default_factory=set)
    short: set[str] = field(default_factory=set)
    lat: float | None = None
    lon: float | None = None


def read_overrides(path: Path = paths.RESOLVER_OVERRIDES_FILE) -> pd.DataFrame:
    """The reviewed override file: one row per (name, context, key) with the key's
    official name (checked against the regions) and the reason."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not (r.get("name") or "").startswith("#")]
    frame = pd.DataFrame(rows, columns=["name", "context", "key", "key_name", "reason"]).fillna("")
    return frame.astype(str).apply(lambda s: s.str.strip())


class Resolver:
    """One resolver for all registries: build once per regions table."""

    def __init__(self, regions: pd.DataFrame, overrides: pd.DataFrame | None = None):
        # Unincorporated areas (forests, lakes) are no place a project is located in.
        usable = regions[regions["level"].isin(LEVEL_ORDER) & (regions.get("type", pd.Series("", index=regions.index)) != "Gemeindefreies Gebiet")]
        self._by_id: dict[str, _Entry] = {}
        self._index: dict[str, list[str]] = {}
        for row in usable.itertuples(index=False):
            cand = Candidate(str(row.region_id), row.level, row.name, getattr(row, "type", "") or "", getattr(row, "land_id", None))
            entry = _Entry(cand, lat=_float(getattr(row, "lat", None)), lon=_float(getattr(row, "lon", None)))
            tokens = tokenise(row.name)
            core, _, _ = strip_admin_words(list(tokens))
            entry.exact = {" ".join(tokens), " ".join(core)}
            entry.short = (short_forms(row.name) | short_forms(" ".join(core))) - entry.exact
            self._by_id[cand.region_id] = entry
            for form in entry.exact | entry.short:
                self._index.setdefault(form, []).append(cand.region_id)
        self._overrides: dict[tuple[str, str], Override] = {}
        if overrides is not None and not overrides.empty:
            self._load_overrides(overrides)

    @classmethod
    def from_files(cls, regions: pd.DataFrame, overrides_file: Path = paths.RESOLVER_OVERRIDES_FILE) -> Resolver:
        return cls(regions, read_overrides(overrides_file))

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

    @property
    def overrides(self) -> list[Override]:
        return list(self._overrides.values())

    def candidate(self, region_id: str) -> Candidate:
        return self._by_id[region_id].candidate

    def resolve(self, name: str, context: Context = Context()) -> Resolved:
        """The region(s) a published name means, or a ResolutionError listing candidates."""
        query = str(name).strip()
        if not query:
            raise UnknownName(query, context, detail="empty name")
        key_match = _KEY_PATTERN.match(query)
        if key_match:
            return self._resolve_key(key_match.group(1), context)
        normalised = normalise_name(query)
        for ctx_name in (context.registry, "*"):
            override = self._overrides.get((normalised, ctx_name))
            if override is not None:
                cands = tuple(self._by_id[k].candidate for k in override.keys)
                return Resolved(query, cands, "override", override.reason)

        tokens = tokenise(query)
        core, hint_levels, hint_types = strip_admin_words(list(tokens))
        forms = {" ".join(tokens), " ".join(core)}
        levels = tuple(lv for lv in context.levels if not hint_levels or lv in hint_levels)
        if not levels:
            levels = hint_levels
        matches: dict[str, bool] = {}  # region_id → exact?
        for form in forms:
            for rid in self._index.get(form, ()):
                entry = self._by_id[rid]
                if entry.candidate.level not in levels:
                    continue
                if hint_types and entry.candidate.type not in hint_types:
                    continue
                matches[rid] = matches.get(rid, False) or form in entry.exact
        if not matches:
            raise UnknownName(query, context, self.suggest(query, levels), detail="no region of that name at level " + "/".join(levels))

        by_level = {lv: [rid for rid in matches if self._by_id[rid].candidate.level == lv] for lv in levels}
        first = next(lv for lv in levels if by_level[lv])
        chosen = by_level[first]
        if not any(matches[rid] for rid in chosen):
            # Only short forms at the preferred level: an exact name at another level competes.
            exact_elsewhere = [rid for lv in levels if lv != first for rid in by_level[lv] if matches[rid]]
            if exact_elsewhere:
                both = [self._by_id[r].candidate for r in chosen + exact_elsewhere]
                raise AmbiguousName(query, context, both, detail="a shortened official name at one level and an exact name at another")
        if len(chosen) == 1:
            return Resolved(query, (self._by_id[chosen[0]].candidate,), "name")
        return self._decide(query, context, chosen)

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

    def _resolve_key(self, text: str, context: Context) -> Resolved:
        if text == "DG":
            raise UnknownName(text, context, detail="Germany as a whole is not a region a project can be linked to")
        found = []
        for level in ("land", "rbz", "kreis", "gemeinde"):
            key = normalise_key(text, level)
            if key is not None and key in self._by_id:
                found.append(self._by_id[key].candidate)
        if len(found) == 1:
            return Resolved(text, tuple(found), "key")
        if not found:
            raise UnknownName(text, context, detail="not a key of the 2021 status (Land 2, Kreis 5, Gemeinde 8 digits)")
        raise AmbiguousName(text, context, found, detail="a key with lost leading zeros that fits several levels; write it with all digits")

    def suggest(self, name: str, levels: tuple[str, ...] = LEVEL_ORDER, limit: int = 5) -> list[Candidate]:
        """Close names, to help a user correct a typo (never used to resolve)."""
        from rapidfuzz import fuzz, process

        choices = {rid: normalise_name(e.candidate.name) for rid, e in self._by_id.items() if e.candidate.level in levels}
        hits = process.extract(normalise_name(name), choices, scorer=fuzz.ratio, limit=limit, score_cutoff=80)
        return [self._by_id[rid].candidate for _, _, rid in hits]


def with_point(context: Context, lat: object, lon: object) -> Context:
    """The context with a point, when both coordinates are numbers."""
    la, lo = _float(lat), _float(lon)
    if la is None or lo is None:
        return context
    return replace(context, lat=la, lon=lo)


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
