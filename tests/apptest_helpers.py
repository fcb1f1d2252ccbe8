"""Small readers of an AppTest run, shared by the page tests."""

from __future__ import annotations


def widget(elements, label):
    """The widget with this label, or a failure listing the labels there are."""
    matches = [e for e in elements if e.label == label]
    assert matches, f"no widget {label!r} in {[e.label for e in elements]}"
    return matches[0]


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


DESCRIPTION_LABELS = (
    "Beschreibung des Diagramms (Textalternative)", "Chart description (text alternative)",
    "Beschreibung der Karte (Textalternative)", "Map description (text alternative)",
)


def descriptions(at) -> list[str]:
    """The text alternatives under the page's charts (``ui.chart_description``), without Markdown escapes."""
    return [" ".join(m.value for m in e.markdown).replace("\\", "") for e in at.expander if e.label in DESCRIPTION_LABELS]
