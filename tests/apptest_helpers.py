"""Small readers of an AppTest run, shared by the page tests and the benchmark."""

from __future__ import annotations

import json

from dashboard import mapview


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


def map_element(at):
    """The map component's element of the run (not the instance that only
    prefetches its shapes, ``mapview.prefetch``)."""
    (element,) = [c for c in at.get("bidi_component") if c.proto.component_name == mapview.NAME and "prefetch" not in json.loads(c.proto.json)]
    return element


def map_data(at) -> dict:
    """What the map component was sent on this run (see dashboard/mapview)."""
    return json.loads(map_element(at).proto.json)
