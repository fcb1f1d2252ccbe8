"""Peer groups: the one rule every page uses to say who a region is compared with.

Pure (no Streamlit). The attributes come from the build (``regions.peer_type``,
``regions.population_class``, ``regions.land_id`` and the ``region_neighbours``
table); this module only chooses from them, vectorised.

Criteria, each narrowing the regions of the anchor's level:

- ``type``: the same kind of unit (``peer_type``: Stadtstaat/Flächenland,
  kreisfreie Stadt/Landkreis harmonised across Länder, the BEZ of Gemeinden);
- ``size``: the same population size class (``population_class``);
- ``land``: the same Land;
- ``neighbours``: sharing a border.

The default group (Steckbrief, Projekte, and Vergleich when opened from a
Steckbrief) is ``type`` + ``size``; when fewer than ``min_peers`` regions share
all asked criteria and ``relax`` is set, criteria are dropped from the end
(size first) and the group says so. The group records the criteria it really
used, so a link with them (``peers=type,size``) rebuilds the same group
anywhere without relaxing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

CRITERIA = ("type", "size", "land", "neighbours")
DEFAULT = ("type", "size")
MIN_PEERS = {"land": 2}
MIN_PEERS_DEFAULT = 5


@dataclass(frozen=True)
class PeerGroup:
    region_id: str
    level: str
    asked: tuple[str, ...]  # the criteria asked for
    criteria: tuple[str, ...]  # the criteria the group really shares (after relaxing)
    kind: str  # the anchor's peer_type
    size_class: str | None  # the anchor's population_class (when "size" is used)
    ids: tuple[str, ...]  # the peers, the anchor itself excluded

    @property
    def relaxed(self) -> bool:
        return self.criteria != self.asked


def clean_criteria(criteria: Sequence[str]) -> tuple[str, ...]:
    """Known criteria in their canonical order, without repeats."""
    wanted = set(criteria)
    return tuple(c for c in CRITERIA if c in wanted)


def _masks(regions: pd.DataFrame, anchor: pd.Series, same_level: pd.DataFrame, neighbours: pd.DataFrame | None) -> dict[str, pd.Series | None]:
    """Per criterion the boolean mask over ``same_level``, or None where the
    anchor lacks the attribute (no class, no Land, no neighbour table)."""
    out: dict[str, pd.Series | None] = {"type": same_level["peer_type"] == anchor["peer_type"]}
    cls = anchor.get("population_class")
    out["size"] = (same_level["population_class"] == cls).fillna(False) if isinstance(cls, str) and cls else None
    land = anchor.get("land_id")
    out["land"] = (same_level["land_id"] == land).fillna(False) if anchor["level"] not in ("bund", "land") and isinstance(land, str) else None
    if neighbours is None:
        out["neighbours"] = None
    else:
        ids = neighbours.loc[neighbours["region_id"] == anchor["region_id"], "neighbour_id"]
        out["neighbours"] = same_level["region_id"].isin(set(ids))
    return out


def peer_group(
    regions: pd.DataFrame,
    region_id: str,
    criteria: Sequence[str] = DEFAULT,
    *,
    neighbours: pd.DataFrame | None = None,
    relax: bool = True,
    min_peers: int | None = None,
) -> PeerGroup:
    """The peers of ``region_id`` at its level sharing ``criteria``.

    ``regions`` is the warehouse's regions table indexed by region_id;
    ``neighbours`` the level's border pairs (needed for "neighbours"). A
    criterion the anchor has no attribute for (no size class, a Land's Land)
    is left out of ``criteria``. With ``relax``, criteria are dropped from the
    end until at least ``min_peers`` peers remain (never below the level).
    """
    asked = clean_criteria(criteria)
    anchor = regions.loc[region_id]
    level = str(anchor["level"])
    same_level = regions[(regions["level"] == level) & (regions["region_id"] != region_id)]
    masks = _masks(regions, anchor, same_level, neighbours)
    usable = tuple(c for c in asked if masks[c] is not None)
    minimum = min_peers if min_peers is not None else MIN_PEERS.get(level, MIN_PEERS_DEFAULT)
    attempts = [usable[:n] for n in range(len(usable), -1, -1)] if relax else [usable]
    for used in attempts:
        mask = pd.Series(True, index=same_level.index)
        for c in used:
            mask &= masks[c].to_numpy()
        ids = tuple(sorted(same_level.loc[mask.to_numpy(), "region_id"]))
        if len(ids) >= minimum or used == attempts[-1]:
            size = anchor.get("population_class") if "size" in used else None
            return PeerGroup(region_id, level, asked, used, str(anchor["peer_type"]), size if isinstance(size, str) else None, ids)
    raise AssertionError("unreachable: the last attempt always returns")
