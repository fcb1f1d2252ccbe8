"""One rule for folding names and texts before a tolerant search (regions on
Steckbrief, Vergleich and Trends; projects on Projekte)."""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = {
    # "Muenchen": umlauts as Germans write them without the dots
    "ae": str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"}),
    # "Munchen": the dots just dropped
    "a": str.maketrans({"ß": "ss", "æ": "ae", "ø": "o"}),
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: object, umlaut: str = "ae") -> str:
    """Lower case, umlauts written out (``umlaut="ae"``) or without their dots
    (``"a"``), other accents stripped, punctuation as single spaces: searching
    both forms lets "Muenchen", "Munchen" and "München" find the same place, and
    "Frankfurt (Oder)" and "frankfurt oder" fold alike."""
    lowered = str(text).casefold().translate(_UMLAUTS[umlaut])
    plain = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", plain).strip()
