"""The interface's texts (dashboard/labels.toml): every label has both
languages, no key is declared twice with other texts, and every key the code
asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard import i18n

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
KEY_CALL = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_-]+)["']\s*[,)]""")


def test_every_key_the_code_asks_for_exists():
    missing = []
    for path in DASHBOARD.rglob("*.py"):
        for key in KEY_CALL.findall(path.read_text(encoding="utf-8")):
            if key not in i18n.LABELS:
                missing.append(f"{path.name}: {key}")
    assert missing == []


def test_labels_have_both_languages_and_the_same_placeholders():
    for key, (de, en) in i18n.LABELS.items():
        assert de and en, key
        assert set(re.findall(r"\{(\w+)\}", de)) == set(re.findall(r"\{(\w+)\}", en)), key


def test_a_key_declared_twice_with_other_texts_is_an_error(tmp_path):
    bad = tmp_path / "labels.toml"
    bad.write_text('[a]\nx = ["eins", "one"]\n[b]\nx = ["zwei", "two"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[b\] x: declared twice"):
        i18n.load_labels(bad)
    bad.write_text('[a]\ny = ["nur Deutsch"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[a\] y: needs \[German, English\]"):
        i18n.load_labels(bad)
