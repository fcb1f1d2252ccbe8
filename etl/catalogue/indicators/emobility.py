"""E-mobility: public charging infrastructure (BNetzA Ladesäulenregister) and the
passenger-car stock by fuel (KBA FZ 1).

Charging counts are computed by us from the register's station rows (located in
their Gemeinde by coordinates, see ``etl.transform.charging``), so every
charging indicator is derived. The KBA car counts and the car density are
published per registration district; Land and Germany values of the counts are
sums over the districts (rows flagged ``derived``), the shares are computed.
"""

from __future__ import annotations

from etl.catalogue.model import Indicator, SeriesBreak

_REGISTER = ("bnetza_ladesaeulenregister",)
_KBA = ("kba_fz1",)
_CHARGING_LEVELS = ("bund", "land", "kreis", "gemeinde")
_KBA_LEVELS = ("bund", "land", "kreis")

_CHARGING_CAVEATS_DE = (
    "Das Register (Stand 01.01.2022) enthält nur Ladeeinrichtungen, die an seinem Stichtag in Betrieb sind: "
    "stillgelegte fehlen. Werte vor 2021 sind daher Untergrenzen (Kennzeichen „Untergrenze“).",
    "Nur Betreiber, die das Anzeigeverfahren der Bundesnetzagentur abgeschlossen und der Veröffentlichung zugestimmt "
    "haben: die tatsächliche Zahl öffentlich zugänglicher Ladeeinrichtungen ist höher.",
    "Jede Ladeeinrichtung ist über ihre Koordinaten der Gemeinde zugeordnet (Gemeindegrenzen VG5000, Stand 01.01.2021); "
    "Punkte knapp außerhalb der generalisierten Grenzen (Küste, Bodensee) der nächsten Gemeinde bis 1,5 km. "
    "Einrichtungen ohne plausible Koordinaten fehlen in allen Summen (siehe Quarantäne).",
    "Die Reihe beginnt 2009; die wenigen früher in Betrieb genommenen Einrichtungen (1999–2008) zählen ab 2009 zum Bestand.",
)
_CHARGING_CAVEATS_EN = (
    "The register (as of 2022-01-01) lists only stations in service on its date: decommissioned ones are missing. "
    "Values before 2021 are therefore lower bounds (flag 'lower_bound').",
    "Only operators who completed the Bundesnetzagentur's notification and agreed to publication: the real number "
    "of publicly accessible charging stations is higher.",
    "Each station is located in its Gemeinde by its coordinates (VG5000 boundaries, status 2021-01-01); points just "
    "outside the generalised boundaries (coast, Lake Constance) go to the nearest Gemeinde within 1.5 km. Stations "
    "without plausible coordinates are missing from all totals (see the quarantine).",
    "The series starts in 2009; the few stations commissioned earlier (1999–2008) count in the stock from 2009.",
)

_KBA_CAVEATS_DE = (
    "Bestand am 1. Januar nach Zulassungsbezirk: Firmenflotten und Leasingfahrzeuge zählen am Sitz des Halters "
    "(z. B. springt der E-Pkw-Bestand Wolfsburgs 2021 von 2.054 auf 9.495 und fällt danach zurück).",
    "Land- und Bundeswerte sind Summen der Zulassungsbezirke (Kennzeichen „abgeleitet“) und können von den "
    "KBA-Veröffentlichungen für Länder und Bund leicht abweichen.",
    "Der Zulassungsbezirk 07211 „Trier-Saarburg“ umfasst die Stadt Trier und den Landkreis Trier-Saarburg: er ist "
    "keinem einzelnen Kreis zuzuordnen und fehlt auf Kreisebene (Quarantäne), zählt aber in den Summen von "
    "Rheinland-Pfalz und Deutschland.",
    "Eisenach (16056) gehört seit 01.07.2021 zum Wartburgkreis: ab 2022 enthält der Wert des Wartburgkreises "
    "(16063) Eisenach (Kennzeichen „Bruch in der Reihe“).",
    "Umwandlungen Dritter aus den KBA-Arbeitsmappen (Werte unverändert, Aufbau geändert).",
)
_KBA_CAVEATS_EN = (
    "Stock on 1 January by registration district: company fleets and leased cars count where the holder sits "
    "(e.g. Wolfsburg's battery-electric stock jumps from 2,054 to 9,495 in 2021 and falls back).",
    "Land and Germany values are sums over the registration districts (flag 'derived') and may differ slightly "
    "from KBA's own Land and national figures.",
    "Registration district 07211 'Trier-Saarburg' covers the city of Trier and the district of Trier-Saarburg: it "
    "cannot be assigned to one Kreis and is missing at Kreis level (quarantine), but counts in the totals of "
    "Rheinland-Pfalz and Germany.",
    "Eisenach (16056) has been part of the Wartburgkreis since 2021-07-01: from 2022 the Wartburgkreis value "
    "(16063) includes Eisenach (flag 'break').",
    "Conversions by third parties of the KBA workbooks (values unchanged, layout changed).",
)
_HYBRID_DE = ("Plug-in-Hybride sind in diesen Umwandlungen nicht getrennt ausweisbar: „Hybrid“ umfasst alle Hybride.",)
_HYBRID_EN = ("Plug-in hybrids are not separable in these conversions: 'hybrid' covers all hybrids.",)


def _charging(id, title_de, title_en, unit, definition_de, definition_en, formula, aggregation="sum", decimals=0, extra_sources=(), extra_de=(), extra_en=()):
    return Indicator(
        id=id,
        title_de=title_de,
        title_en=title_en,
        unit=unit,
        definition_de=definition_de,
        definition_en=definition_en,
        source_ids=_REGISTER + tuple(extra_sources),
        topic="emobility",
        better="higher",
        aggregation=aggregation,
        levels=_CHARGING_LEVELS,
        derived=True,
        formula=formula,
        caveats_de=_CHARGING_CAVEATS_DE + tuple(extra_de),
        caveats_en=_CHARGING_CAVEATS_EN + tuple(extra_en),
        decimals=decimals,
    )


_STOCK_DE = "in Betrieb am 31.12. des Jahres: Inbetriebnahme bis zum Jahresende und am Stichtag des Registers noch gemeldet"
_STOCK_EN = "in service on 31 December: commissioned by the end of the year and still listed on the register's date"

INDICATORS: tuple[Indicator, ...] = (
    _charging(
        "ev_stations",
        "Öffentliche Ladeeinrichtungen",
        "Public charging stations",
        "Anzahl",
        f"Öffentlich zugängliche Ladeeinrichtungen (Ladesäulen) im Ladesäulenregister, {_STOCK_DE}.",
        f"Publicly accessible charging stations in the Ladesäulenregister, {_STOCK_EN}.",
        "count of register rows located in the region with commissioning date ≤ 31.12. of the year",
    ),
    _charging(
        "ev_stations_fast",
        "Öffentliche Schnellladeeinrichtungen",
        "Public fast-charging stations",
        "Anzahl",
        f"Ladeeinrichtungen der Art „Schnellladeeinrichtung“ (laut Register), {_STOCK_DE}.",
        f"Charging stations of the type 'Schnellladeeinrichtung' (fast charger, as the register says), {_STOCK_EN}.",
        "count of register rows of type Schnellladeeinrichtung located in the region with commissioning date ≤ 31.12. of the year",
    ),
    _charging(
        "ev_points",
        "Öffentliche Ladepunkte",
        "Public charging points",
        "Anzahl",
        f"Ladepunkte (Spalte „Anzahl Ladepunkte“) der öffentlich zugänglichen Ladeeinrichtungen, {_STOCK_DE}.",
        f"Charging points (column 'Anzahl Ladepunkte') of publicly accessible charging stations, {_STOCK_EN}.",
        "sum of 'Anzahl Ladepunkte' over register rows located in the region with commissioning date ≤ 31.12. of the year",
    ),
    _charging(
        "ev_points_fast",
        "Öffentliche Schnellladepunkte",
        "Public fast-charging points",
        "Anzahl",
        f"Ladepunkte an Schnellladeeinrichtungen, {_STOCK_DE}.",
        f"Charging points at fast-charging stations, {_STOCK_EN}.",
        "sum of 'Anzahl Ladepunkte' over register rows of type Schnellladeeinrichtung located in the region with commissioning date ≤ 31.12. of the year",
    ),
    _charging(
        "ev_stations_new",
        "Neu in Betrieb genommene Ladeeinrichtungen",
        "Newly commissioned charging stations",
        "Anzahl",
        "Ladeeinrichtungen mit Inbetriebnahmedatum im Jahr, soweit am Stichtag des Registers noch in Betrieb.",
        "Charging stations with a commissioning date in the year, as far as still in service on the register's date.",
        "count of register rows located in the region with commissioning date in the year",
    ),
    _charging(
        "ev_points_per_10k",
        "Öffentliche Ladepunkte je 10.000 Einwohner",
        "Public charging points per 10,000 inhabitants",
        "je 10.000 Einwohner",
        "Öffentliche Ladepunkte (Bestand am 31.12.) je 10.000 Einwohner. Bevölkerung: der jüngste Stand im Warehouse je "
        "Region (Kreise, Länder, Deutschland 31.12.2018, Gemeinden 31.12.2017) für alle Jahre, weil für 2019–2021 keine "
        "Bevölkerungszahlen vorliegen.",
        "Public charging points (stock on 31 December) per 10,000 inhabitants. Population: the latest figure in the "
        "warehouse per region (districts, Länder, Germany 2018-12-31, municipalities 2017-12-31) for all years, since "
        "there are no population figures for 2019–2021 in the kit.",
        "ev_points / population × 10,000 (population: latest available per region)",
        aggregation="mean_population",
        decimals=1,
        extra_sources=("destatis_gv_kreise", "destatis_gv_gemeinden"),
        extra_de=("Der Nenner ist für alle Jahre derselbe Bevölkerungsstand (2017 bzw. 2018): das Wachstum der Quote ist das der Ladepunkte.",),
        extra_en=("The denominator is the same population (2017 or 2018) for every year: the ratio grows with the charging points only.",),
    ),
)

_EISENACH_BREAK = SeriesBreak(
    "2022-01-01",
    "Eisenach (16056) ist seit 01.07.2021 Teil des Wartburgkreises (16063); ab 2022 meldet das KBA beide zusammen.",
    "Eisenach (16056) has been part of the Wartburgkreis (16063) since 2021-07-01; from 2022 KBA reports them together.",
)


def _kba(id, title_de, title_en, unit, definition_de, definition_en, *, better="neutral", aggregation="sum", derived=False, formula="", decimals=0, levels=_KBA_LEVELS, hybrid=False):
    return Indicator(
        id=id,
        title_de=title_de,
        title_en=title_en,
        unit=unit,
        definition_de=definition_de,
        definition_en=definition_en,
        source_ids=_KBA,
        topic="emobility",
        better=better,
        aggregation=aggregation,
        levels=levels,
        derived=derived,
        formula=formula,
        breaks=(_EISENACH_BREAK,),
        caveats_de=_KBA_CAVEATS_DE + (_HYBRID_DE if hybrid else ()),
        caveats_en=_KBA_CAVEATS_EN + (_HYBRID_EN if hybrid else ()),
        decimals=decimals,
    )


INDICATORS += (
    _kba(
        "cars",
        "Pkw-Bestand",
        "Passenger cars",
        "Anzahl",
        "Bestand an Personenkraftwagen am 1. Januar (KBA FZ 1.2, „Insgesamt“; 2019: Summe der Kraftstoffarten).",
        "Stock of passenger cars on 1 January (KBA FZ 1.2, 'Insgesamt'; 2019: sum of the fuel types).",
    ),
    _kba(
        "cars_bev",
        "Pkw mit Elektroantrieb (BEV)",
        "Battery-electric passenger cars (BEV)",
        "Anzahl",
        "Bestand an batterieelektrischen Pkw am 1. Januar (KBA FZ 1.2, Kraftstoffart „Elektro (BEV)“).",
        "Stock of battery-electric passenger cars on 1 January (KBA FZ 1.2, fuel type 'Elektro (BEV)').",
        better="higher",
    ),
    _kba(
        "cars_hybrid",
        "Pkw mit Hybridantrieb",
        "Hybrid passenger cars",
        "Anzahl",
        "Bestand an Hybrid-Pkw am 1. Januar (KBA FZ 1.2, „Hybrid insgesamt“, einschließlich Plug-in-Hybride).",
        "Stock of hybrid passenger cars on 1 January (KBA FZ 1.2, 'Hybrid insgesamt', including plug-in hybrids).",
        hybrid=True,
    ),
    _kba(
        "cars_bev_share_pct",
        "Anteil Elektro-Pkw (BEV) am Pkw-Bestand",
        "Share of battery-electric cars in the car stock",
        "%",
        "Batterieelektrische Pkw in Prozent aller Pkw am 1. Januar.",
        "Battery-electric cars as a percentage of all passenger cars on 1 January.",
        better="higher",
        aggregation="none",
        derived=True,
        formula="cars_bev / cars × 100 (Land and Germany: from the summed counts)",
        decimals=2,
    ),
    _kba(
        "cars_hybrid_share_pct",
        "Anteil Hybrid-Pkw am Pkw-Bestand",
        "Share of hybrid cars in the car stock",
        "%",
        "Hybrid-Pkw (einschließlich Plug-in-Hybride) in Prozent aller Pkw am 1. Januar.",
        "Hybrid cars (including plug-in hybrids) as a percentage of all passenger cars on 1 January.",
        aggregation="none",
        derived=True,
        formula="cars_hybrid / cars × 100 (Land and Germany: from the summed counts)",
        decimals=2,
        hybrid=True,
    ),
    _kba(
        "cars_per_1000",
        "Pkw je 1.000 Einwohner",
        "Passenger cars per 1,000 inhabitants",
        "je 1.000 Einwohner",
        "Pkw-Dichte am 1. Januar wie vom KBA veröffentlicht (FZ 1.1, „Pkw-Dichte je 1.000 Einwohner“), nur für Kreise; "
        "2019 liegt in den Umwandlungen nicht vor.",
        "Car density on 1 January as published by KBA (FZ 1.1, 'Pkw-Dichte je 1.000 Einwohner'), districts only; "
        "2019 is not in the conversions.",
        aggregation="mean_population",
        levels=("kreis",),
    ),
)
