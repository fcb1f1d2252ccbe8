"""The sources of the kit: publisher, URL, licence, attribution, reference date.

The texts follow each publisher's own terms (see ``SOURCES.md`` of the raw kit).
``files`` lists what the ETL reads, relative to the raw-data directory, with the
URL that ``python -m etl fetch`` downloads it from. Where the publisher ships a
zip, ``member`` names the file inside it; a path ending in ``/*.md`` stands for
every matching member of the archive.
"""

from __future__ import annotations

from etl.catalogue.model import RawFile, Source

DL_DE_BY_2 = "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"
DL_DE_BY_2_URL = "https://www.govdata.de/dl-de/by-2-0"
CC_BY_4 = "Creative Commons Namensnennung 4.0 (CC BY 4.0)"
CC_BY_4_URL = "https://creativecommons.org/licenses/by/4.0/"

_VG5000_ZIP = "https://daten.gdz.bkg.bund.de/produkte/vg/vg5000_0101/2021/vg5000_01-01.gk3.shape.ebenen.zip"
_VG5000_MEMBER = "vg5000_01-01.gk3.shape.ebenen/vg5000_ebenen_0101/"


def _vg5000_files() -> tuple[RawFile, ...]:
    files = []
    for layer in ("STA", "LAN", "RBZ", "KRS", "VWG", "GEM"):
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            name = f"VG5000_{layer}.{ext}"
            files.append(
                RawFile(f"bkg_vg5000_2021/vg5000_ebenen_0101/{name}", _VG5000_ZIP, _VG5000_MEMBER + name)
            )
    return tuple(files)


_BBA = "https://gigabitgrundbuch.bund.de/GIGA/DE/Breitbandatlas/Downloads/"
_BBA_FILES = "https://gigabitgrundbuch.bund.de/SharedDocs/Downloads/DE/Breitbandatlas/"
_GV = "https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/Administrativ/"
_CODEFOR_ZIP = "https://github.com/okfde/codefor.de/archive/refs/heads/main.zip"

SOURCES: tuple[Source, ...] = (
    Source(
        id="bkg_vg5000",
        kind="geometry",
        title="Verwaltungsgebiete 1:5 000 000 (VG5000), Ebenen, Stand 01.01.2021",
        publisher="Bundesamt für Kartographie und Geodäsie (BKG)",
        url="https://gdz.bkg.bund.de/index.php/default/open-data/verwaltungsgebiete-1-5-000-000-stand-01-01-vg5000-01-01.html",
        licence=DL_DE_BY_2,
        licence_url=DL_DE_BY_2_URL,
        attribution="© GeoBasis-DE / BKG 2021 (Daten verändert)",
        attribution_url="https://www.bkg.bund.de",
        reference_date="2021-01-01",
        files=_vg5000_files(),
        description_de="Grenzen und amtliche Schlüssel (AGS/ARS) von Ländern, Regierungsbezirken, Kreisen und Gemeinden; Gebietsstand 01.01.2021.",
        description_en="Boundaries and official keys (AGS/ARS) of Länder, government regions, districts and municipalities; territorial status 2021-01-01.",
        caveats_de=("Generalisierte Grenzen im Maßstab 1:5 Mio.: für Übersichtskarten, nicht für Flächenbilanzen einzelner Gemeinden.",),
        caveats_en=("Generalised boundaries at 1:5 million: for overview maps, not for exact areas of single municipalities.",),
    ),
    Source(
        id="bnetza_breitbandatlas",
        title="Breitbandatlas – historische Daten 2005–2021 (Pakete 1–3)",
        publisher="Bundesnetzagentur (frühere Betreiber: TÜV Rheinland, atene KOM im Auftrag des BMVI)",
        url=_BBA,
        licence="Frei nutzbar mit Quellenangabe; veränderte Daten sind zu kennzeichnen",
        licence_url=_BBA,
        attribution="Breitbandatlas | Gigabit-Grundbuch (https://gigabitgrundbuch.bund.de) (Daten verändert)",
        attribution_url="https://gigabitgrundbuch.bund.de",
        reference_date="2005-12-31/2021-06-30",
        files=(
            RawFile("bnetza_breitbandatlas/Paket_1/*", _BBA_FILES + "Paket_1.zip", "Paket_1/"),
            RawFile("bnetza_breitbandatlas/Paket_2/*", _BBA_FILES + "Paket_2.zip", "Paket_2/"),
            RawFile("bnetza_breitbandatlas/Paket_3/*", _BBA_FILES + "Paket_3.zip", "Paket_3/"),
        ),
        description_de="Anteil der Haushalte (und Gewerbestandorte) mit verfügbarem Breitband nach Technologie und Mindestbandbreite, Deutschland, Länder, Kreise und Gemeinden.",
        description_en="Share of households (and business sites) with broadband available, by technology and minimum speed, for Germany, Länder, districts and municipalities.",
        caveats_de=(
            "Betreiber und Erhebungsmethoden wechselten (Bruch um 2015; die DSL-Reihe 2005–2008 ist mit den späteren Bandbreitenklassen nicht vergleichbar): keine strenge Zeitreihe.",
            "2010–2014 zeigen die meisten Kreise und Gemeinden für hohe Bandbreitenklassen genau 0 %, während der Bundeswert 44–71 % beträgt: diese Nullen gelten als „nicht berichtet“ und werden nicht als Wert gezeigt.",
            "Die Kreisdaten 2021 entsprechen dem Stand Mitte 2021 (gerundet), nicht Ende 2021.",
        ),
        caveats_en=(
            "Operators and methods changed (a break around 2015; the 2005–2008 DSL series is not comparable with the later speed classes): not a strict time series.",
            "In 2010–2014 most districts and municipalities show exactly 0 % for high speed classes while the national value is 44–71 %: these zeros are treated as 'not reported' and not shown as values.",
            "The 2021 district file holds the mid-2021 figures (rounded), not end of 2021.",
        ),
    ),
    Source(
        id="destatis_gv_kreise",
        title="Kreisfreie Städte und Landkreise nach Fläche, Bevölkerung und Bevölkerungsdichte, Gebietsstand 31.12.2018",
        publisher="Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys",
        url=_GV + "04-kreise.html",
        licence=DL_DE_BY_2,
        licence_url=DL_DE_BY_2_URL,
        attribution="© Statistisches Bundesamt (Destatis), 2019",
        attribution_url="https://www.destatis.de",
        reference_date="2018-12-31",
        files=(RawFile("destatis_gemeindeverzeichnis/04-kreise_2018-12-31.xlsx", _GV + "04-kreise.xlsx?__blob=publicationFile"),),
        description_de="Fläche, Bevölkerung (insgesamt, männlich, weiblich) und Bevölkerungsdichte der Kreise am 31.12.2018.",
        description_en="Area, population (total, male, female) and population density of districts on 31 Dec 2018.",
    ),
    Source(
        id="destatis_gv_gemeinden",
        title="Gemeinden in Deutschland nach Fläche, Bevölkerung und Postleitzahl am 31.12.2016 und 31.12.2017",
        publisher="Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys",
        url=_GV + "Archiv/GVAuszugJ/31122017_Auszug_GV.html",
        licence=DL_DE_BY_2,
        licence_url=DL_DE_BY_2_URL,
        attribution="© Statistisches Bundesamt (Destatis), 2017 und 2018",
        attribution_url="https://www.destatis.de",
        reference_date="2016-12-31/2017-12-31",
        files=(
            RawFile("destatis_gemeindeverzeichnis/31122016_Auszug_GV.xlsx", _GV + "Archiv/GVAuszugJ/31122016_Auszug_GV.xlsx?__blob=publicationFile"),
            RawFile("destatis_gemeindeverzeichnis/31122017_Auszug_GV.xlsx", _GV + "Archiv/GVAuszugJ/31122017_Auszug_GV.xlsx?__blob=publicationFile"),
        ),
        description_de="Fläche und Bevölkerung jeder Gemeinde sowie ihr Verstädterungsgrad (DEGURBA).",
        description_en="Area and population of every municipality, and its degree of urbanisation (DEGURBA).",
    ),
    Source(
        id="destatis_genesis_12411",
        title="GENESIS-Online 12411-0015: Bevölkerung: Kreise, Stichtag (31.12.2009–31.12.2016)",
        publisher="Statistisches Bundesamt (Destatis)",
        url="https://www-genesis.destatis.de/genesis//online?operation=table&code=12411-0015",
        licence=DL_DE_BY_2,
        licence_url=DL_DE_BY_2_URL,
        attribution="© Statistisches Bundesamt (Destatis), 2019",
        attribution_url="https://www-genesis.destatis.de",
        reference_date="2009-12-31/2016-12-31",
        files=(
            RawFile(
                "destatis_genesis/12411-0015_bevoelkerung_kreise_2009-2016.csv",
                "https://www-genesis.destatis.de/genesisWS/rest/2020/data/tablefile?name=12411-0015&startyear=2009&endyear=2016&format=csv",
            ),
        ),
        description_de="Bevölkerungsstand der Kreise zum 31.12. (Fortschreibung).",
        description_en="Population of districts on 31 December (intercensal updates).",
        caveats_de=("Ab 2011: Ergebnisse auf Grundlage des Zensus 2011 (Bruch in der Reihe).",),
        caveats_en=("From 2011: results based on the 2011 census (series break).",),
    ),
    Source(
        id="vgrdl_kreise",
        title="Bruttoinlandsprodukt, Bruttowertschöpfung in den kreisfreien Städten und Landkreisen 1992 und 1994 bis 2016 (Reihe 2, Band 1, Ausgabe 2018)",
        publisher="Arbeitskreis „Volkswirtschaftliche Gesamtrechnungen der Länder“",
        url="https://www.statistikportal.de/de/vgrdl",
        licence="Vervielfältigung und Verbreitung mit Quellenangabe gestattet",
        licence_url="https://www.statistikportal.de/de/vgrdl",
        attribution="Arbeitskreis VGR der Länder, 2018",
        attribution_url="https://www.statistikportal.de/de/vgrdl",
        reference_date="1992/2016",
        edition_from="the year columns of the header row of the series sheets (first and last year)",
        files=(
            RawFile(
                "vgrdl/vgrdl_r2b1_bip_bws_kreise_1992-2016.xlsx",
                "https://www.statistikportal.de/sites/default/files/2018-08/vgrdl_r2b1_bs2017.xlsx",
            ),
        ),
        description_de="Bruttoinlandsprodukt, Bruttowertschöpfung nach Wirtschaftsbereichen und Erwerbstätige der Kreise.",
        description_en="Gross domestic product, gross value added by sector and employment of districts.",
    ),
    Source(
        id="eurostat_isoc_r_iuse_i",
        title="Eurostat isoc_r_iuse_i: Individuals who used the internet daily (I_IDAY), % of individuals, NUTS 1",
        publisher="Eurostat",
        url="https://ec.europa.eu/eurostat/databrowser/view/isoc_r_iuse_i",
        licence="Eurostat re-use policy (free re-use with acknowledgement)",
        licence_url="https://ec.europa.eu/eurostat/about-us/policies/copyright",
        attribution="Source: Eurostat (isoc_r_iuse_i), data modified",
        attribution_url="https://ec.europa.eu/eurostat/databrowser/view/isoc_r_iuse_i",
        reference_date="2006/2019",
        files=(
            RawFile(
                "eurostat/isoc_r_iuse_i_I_IDAY_PC_IND_2006-2019.csv",
                "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/isoc_r_iuse_i/A.I_IDAY.PC_IND.?format=TSV",
            ),
        ),
        description_de="Anteil der Personen, die das Internet täglich nutzen, nach Ländern (NUTS 1).",
        description_en="Share of individuals using the internet daily, by Land (NUTS 1).",
        caveats_de=("Umwandlung des R-Datensatzes daily_internet_users (Paket regions) über die Eurostat-API: ohne Statuskennzeichen.",),
        caveats_en=("Conversion of the R data set daily_internet_users (package regions) via the Eurostat API: no status flags.",),
    ),
    Source(
        id="gisco_nuts_2024",
        kind="attributes",
        title="GISCO NUTS 2024, 1:20 Mio., mit Stadt-Land-Typologie",
        publisher="Eurostat GISCO",
        url="https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units/territorial-units-statistics",
        licence="Eurostat GISCO: free re-use with acknowledgement; © EuroGeographics for the administrative boundaries",
        licence_url="https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units",
        attribution="© EuroGeographics for the administrative boundaries; Source: Eurostat GISCO (data modified)",
        attribution_url="https://ec.europa.eu/eurostat/web/gisco",
        reference_date="2024-01-01",
        files=(
            RawFile(
                "gisco_nuts_2024/gisco_nuts_2024_20M_4326.gpkg",
                "https://gisco-services.ec.europa.eu/distribution/v2/nuts/gpkg/NUTS_RG_20M_2024_4326.gpkg",
            ),
        ),
        description_de="Stadt-Land-Typologie der NUTS-3-Regionen (überwiegend städtisch, intermediär, überwiegend ländlich).",
        description_en="Urban–rural typology of NUTS 3 regions (predominantly urban, intermediate, predominantly rural).",
        caveats_de=("Stand NUTS 2024 mit 400 Kreisen: Eisenach (seit 2021 im Wartburgkreis) erbt die Typologie des Wartburgkreises.",),
        caveats_en=("NUTS 2024 has 400 districts: Eisenach (part of the Wartburgkreis since 2021) takes the Wartburgkreis' type.",),
    ),
    Source(
        id="bnetza_ladesaeulenregister",
        title="Ladesäulenregister (Stand 01.01.2022)",
        publisher="Bundesnetzagentur",
        url="https://www.bundesnetzagentur.de/DE/Fachthemen/ElektrizitaetundGas/E-Mobilitaet/start.html",
        licence=CC_BY_4,
        licence_url=CC_BY_4_URL,
        attribution="Bundesnetzagentur, Ladesäulenregister (Stand 01.01.2022), CC BY 4.0",
        attribution_url="https://www.bundesnetzagentur.de/DE/Fachthemen/ElektrizitaetundGas/E-Mobilitaet/start.html",
        reference_date="2022-01-01",
        edition_from="the line 'Stand: TT.MM.JJJJ' among the notes above the header row",
        edition_label="Stand {:%d.%m.%Y}",
        files=(
            RawFile(
                "bnetza_ladesaeulenregister/Ladesaeulenregister.xlsx",
                "https://data.bundesnetzagentur.de/Bundesnetzagentur/SharedDocs/Downloads/DE/Sachgebiete/Energie/Unternehmen_Institutionen/E_Mobilitaet/Ladesaeulenregister.xlsx",
            ),
        ),
        description_de="Öffentlich zugängliche Ladeeinrichtungen für Elektrofahrzeuge, die das Anzeigeverfahren abgeschlossen und der Veröffentlichung zugestimmt haben.",
        description_en="Publicly accessible charging stations for electric vehicles whose operators completed the notification and agreed to publication.",
        caveats_de=(
            "Nur Betreiber, die das Anzeigeverfahren abgeschlossen und der Veröffentlichung zugestimmt haben: die tatsächliche Zahl ist höher.",
            "Das Register enthält nur am Stichtag betriebene Ladeeinrichtungen: Zahlen nach Inbetriebnahmejahr sind für frühere Jahre Untergrenzen.",
        ),
        caveats_en=(
            "Only operators who completed the notification and agreed to publication: the real number is higher.",
            "The register lists only stations in service at its date: counts by commissioning year are lower bounds for earlier years.",
        ),
    ),
    Source(
        id="kba_fz1",
        title="Fahrzeugbestand FZ 1: Pkw nach Zulassungsbezirken und Kraftstoffarten, 01.01.2019–01.01.2025",
        publisher="Kraftfahrt-Bundesamt (KBA), Flensburg",
        url="https://www.kba.de/DE/Statistik/Fahrzeuge/Bestand/bestand_node.html",
        licence="Vervielfältigung und Verbreitung, auch auszugsweise, mit Quellenangabe gestattet",
        licence_url="https://www.kba.de/DE/Service/Impressum/impressum_node.html",
        attribution="Quelle: Kraftfahrt-Bundesamt (KBA), Fahrzeugbestand FZ 1 (Daten verändert)",
        attribution_url="https://www.kba.de",
        reference_date="2019-01-01/2025-01-01",
        files=(
            RawFile("kba_fz1/pkw-bestand-20190101.csv", "https://raw.githubusercontent.com/lhm/pkw-bestand/master/pkw-bestand-20190101.csv"),
            RawFile("kba_fz1/fz1_2_pkw_kraftstoff_kreise_2020-2025.csv", "https://raw.githubusercontent.com/yedkowskij/kba_market_analysis/main/fz_1.2_raw.csv"),
            RawFile("kba_fz1/fz1_1_pkw_kreise_2020-2025.csv", "https://raw.githubusercontent.com/yedkowskij/kba_market_analysis/main/fz_1.1_raw.csv"),
        ),
        description_de="Pkw-Bestand nach Zulassungsbezirk und Kraftstoffart (inkl. batterieelektrisch) sowie Pkw-Dichte, jeweils zum 1. Januar.",
        description_en="Passenger cars by registration district and fuel (incl. battery-electric) and car density, on 1 January.",
        caveats_de=(
            "Firmenflotten werden am Sitz des Halters zugelassen (z. B. Sprünge beim E-Pkw-Bestand in Wolfsburg).",
            "Plug-in-Hybride sind in diesen Umwandlungen nicht getrennt ausweisbar.",
            "Umwandlungen Dritter aus den KBA-Arbeitsmappen (Werte unverändert, Aufbau geändert).",
        ),
        caveats_en=(
            "Company fleets register where the holder sits (e.g. jumps in Wolfsburg's battery-electric stock).",
            "Plug-in hybrids are not separable in these conversions.",
            "Conversions by third parties of the KBA workbooks (values unchanged, layout changed).",
        ),
    ),
    Source(
        id="codefor",
        kind="registry",
        title="Code for Germany: Projekte und Labs (codefor.de, Stand 2026-01-12)",
        publisher="Open Knowledge Foundation Deutschland e. V.",
        url="https://codefor.de/projekte/",
        licence=CC_BY_4,
        licence_url=CC_BY_4_URL,
        attribution="Code for Germany / Open Knowledge Foundation Deutschland, codefor.de, CC BY 4.0",
        attribution_url="https://codefor.de",
        reference_date="2026-01-12",
        files=(
            RawFile("codefor_okfde/projekte/*.md", _CODEFOR_ZIP, "codefor.de-main/content/projekte/"),
            RawFile("codefor_okfde/labs/*.md", _CODEFOR_ZIP, "codefor.de-main/content/labs/"),
        ),
        description_de="Zivilgesellschaftliche Digitalprojekte der Code-for-Germany-Labs, verortet über die Stadt ihres Labs.",
        description_en="Civic-tech projects of the Code for Germany labs, located through their lab's city.",
        caveats_de=("Verortung über das Lab, nicht über das Projekt: manche Projekte sind bundesweit.",),
        caveats_en=("Located through the lab, not the project: some projects are national in scope.",),
    ),
    Source(
        id="mpsc",
        kind="registry",
        title="Modellprojekte Smart Cities 2019–2021 (aus öffentlichen Bekanntmachungen zusammengestellt)",
        publisher="BMI/BMWSB und KfW (Programm); Zusammenstellung für das DSR-Datenkit",
        url="https://www.smart-city-dialog.de/modellprojekte",
        licence=CC_BY_4,
        licence_url=CC_BY_4_URL,
        attribution="Modellprojekte Smart Cities (BMWSB/KfW), compiled from public notices",
        attribution_url="https://www.smart-city-dialog.de/modellprojekte",
        reference_date="2021-12-31",
        files=(RawFile("mpsc/modellprojekte_smart_cities_2019-2021.csv", "https://www.smart-city-dialog.de/modellprojekte"),),
        description_de="Die 73 Modellprojekte Smart Cities des Bundes in drei Staffeln (2019, 2020, 2021).",
        description_en="The 73 federal Smart City model projects in three rounds (2019, 2020, 2021).",
        caveats_de=("Beträge wie berichtet (oft gerundet, teils später geändert), keine Bewilligungsbescheide; 33 Gesamtvolumen und 5 Förderbeträge sind unbekannt.",),
        caveats_en=("Amounts as reported (often rounded, some later revised), not award notices; 33 totals and 5 grants are unknown.",),
    ),
)

SOURCES_BY_ID = {s.id: s for s in SOURCES}
