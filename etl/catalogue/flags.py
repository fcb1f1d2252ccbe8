"""Value flags: the publisher's markers and our own, kept beside the value.

German official statistics mark cells instead of giving a number (``-`` nothing,
``.`` unknown or secret, ``x`` not meaningful); Eurostat flags values (``p``,
``e``, ``b``, ``:``). The ETL keeps such markers as a flag, never as a silent
NaN, and adds its own where a decision of ours changes what a number means.
"""

from etl.catalogue.model import Flag

FLAGS: tuple[Flag, ...] = (
    Flag("zero", "genau null (Zeichen „-“)", "exactly zero (marker '-')", True),
    Flag("unknown", "unbekannt oder geheim (Zeichen „.“)", "unknown or confidential (marker '.')", False),
    Flag("not_meaningful", "Aussage nicht sinnvoll (Zeichen „x“)", "not meaningful (marker 'x')", False),
    Flag("no_value", "kein Wert zu diesem Stichtag (Zeichen „-“ in GENESIS)", "no value for this date (marker '-' in GENESIS)", False),
    Flag("not_reported", "nicht berichtet: 0 % in einer Bandbreitenklasse 2010–2014 unterhalb der Bundesebene", "not reported: 0 % in a speed class 2010–2014 below national level", False),
    Flag("provisional", "vorläufig", "provisional", True),
    Flag("estimated", "geschätzt", "estimated", True),
    Flag("break", "Bruch in der Reihe", "break in series", True),
    Flag("lower_bound", "Untergrenze (z. B. nur heute noch betriebene Ladepunkte)", "lower bound (e.g. only stations still in service)", True),
    Flag("derived", "abgeleitet (berechnet aus veröffentlichten Werten)", "derived (computed from published values)", True),
    # VGRdL Reihe 2 Band 1 (2018), sheet "Definitionen", Zeichenerklärung: "… = Angabe fällt
    # später an" (written as three dots "..." in the cells, e.g. Thüringen's Kreise, ET 1992–1999).
    Flag("later", "Angabe fällt später an (Zeichen „…“)", "figure to be published later (marker '…')", False),
    # Destatis Zeichenerklärung: "/ = keine Angaben, da Zahlenwert nicht sicher genug"; in the
    # Gemeindeverzeichnis 31.12.2016 for six NRW Gemeinden (footnote 4: implausible result).
    Flag("not_reliable", "keine Angabe, da Zahlenwert nicht sicher genug (Zeichen „/“)", "no figure: value not reliable enough (marker '/')", False),
    # Our own: a value of a 2021 Kreis made from the values published under the keys of
    # the Kreise it was formed from (data/territorial_changes.csv, etl.territory).
    Flag(
        "harmonised",
        "umgerechnet auf den Gebietsstand 2021-01-01 (aus den Werten der früheren Kreise bzw. Gemeinden: Summe bzw. bevölkerungsgewichtetes Mittel, oder umnummeriert)",
        "converted to the territorial status of 2021-01-01 (from the values of the former districts or municipalities: sum or population-weighted mean, or renumbered)",
        True,
    ),
)

FLAGS_BY_CODE = {f.code: f for f in FLAGS}
