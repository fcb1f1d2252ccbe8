"""The catalogue: sources, indicators, tables and flags, declared once."""

from etl.catalogue.flags import FLAGS, FLAGS_BY_CODE
from etl.catalogue.indicators import INDICATORS, INDICATORS_BY_ID
from etl.catalogue.model import GERMANY_ID, KEY_LENGTH, LEVEL_OF_KEY_LENGTH, LEVELS, TOPICS
from etl.catalogue.sources import SOURCES, SOURCES_BY_ID
from etl.catalogue.tables import TABLES, TABLES_BY_NAME

__all__ = [
    "FLAGS",
    "FLAGS_BY_CODE",
    "GERMANY_ID",
    "INDICATORS",
    "INDICATORS_BY_ID",
    "KEY_LENGTH",
    "LEVEL_OF_KEY_LENGTH",
    "LEVELS",
    "SOURCES",
    "SOURCES_BY_ID",
    "TABLES",
    "TABLES_BY_NAME",
    "TOPICS",
]
