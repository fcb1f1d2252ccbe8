"""Internet use: daily internet users by Land (Eurostat, ICT survey of households
and individuals), as published at NUTS 1."""

from __future__ import annotations

from etl.catalogue.model import Indicator

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        id="internet_daily_users_pct",
        title_de="Tägliche Internetnutzung",
        title_en="Daily internet users",
        unit="%",
        definition_de=(
            "Anteil der Personen (16 bis 74 Jahre), die das Internet in den letzten drei Monaten vor der Befragung "
            "täglich oder fast täglich genutzt haben, in Prozent aller Personen (Eurostat isoc_r_iuse_i, I_IDAY, PC_IND)."
        ),
        definition_en=(
            "Share of individuals (aged 16 to 74) who used the internet every day or almost every day in the three months "
            "before the survey, in percent of all individuals (Eurostat isoc_r_iuse_i, I_IDAY, PC_IND)."
        ),
        source_ids=("eurostat_isoc_r_iuse_i",),
        topic="internet",
        better="higher",
        aggregation="mean_population",
        levels=("bund", "land"),
        caveats_de=(
            "Stichprobenerhebung (in Deutschland: IKT-Erhebung in privaten Haushalten): Länderwerte haben einen größeren Stichprobenfehler; kleine Unterschiede zwischen Ländern sind nicht aussagekräftig.",
            "Länderwerte erst ab 2011, Deutschland ab 2006.",
        ),
        caveats_en=(
            "Sample survey (in Germany: the ICT survey of private households): Land values have a larger sampling error; small differences between Länder are not meaningful.",
            "Land values from 2011 only, Germany from 2006.",
        ),
        decimals=0,
    ),
)
