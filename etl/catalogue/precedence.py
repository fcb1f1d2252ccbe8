"""Declared precedence between files that publish the same figure.

Read by ``etl.copies`` (the one rule for copies of an observation key): where
two files give the same indicator, region and period, the copy of the file
named first here is kept and the other is recorded in ``duplicates`` with the
reason below. Between files not ranked here no copy wins: identical copies
collapse to one, differing ones all go to the quarantine.
"""

from __future__ import annotations

from etl.catalogue.indicators import broadband, population
from etl.catalogue.model import Precedence

PRECEDENCES: tuple[Precedence, ...] = (
    Precedence(
        "breitbandatlas_packages",
        tuple(i.id for i in broadband.INDICATORS),
        ("bnetza_breitbandatlas/Paket_3/*", "bnetza_breitbandatlas/Paket_2/*", "bnetza_breitbandatlas/Paket_1/*"),
        "the later package is kept (Paket_3 over Paket_2 over Paket_1): the publisher's latest release with its "
        "half-yearly files; the 2021 Kreisdaten round Paket_3 to whole percent, the annual workbook's end-2018 "
        "Gemeinde figures are another computation (etl/transform/broadband.py)",
    ),
    Precedence(
        "population_tables",
        tuple(i.id for i in population.INDICATORS),
        (
            "destatis_genesis/*",
            "destatis_gemeindeverzeichnis/04-kreise_*",
            "destatis_gemeindeverzeichnis/*_Auszug_GV.xlsx",
            "bnetza_breitbandatlas/Paket_1/*",
        ),
        "the more specific table is kept (GENESIS 12411 over the Gemeindeverzeichnis' Kreise over its Gemeinden and "
        "their sums over the Breitbandatlas' ewz): the publisher's own table of that level (etl/transform/population.py)",
    ),
)
PRECEDENCES_BY_ID = {p.id: p for p in PRECEDENCES}
