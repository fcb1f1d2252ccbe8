"""Entry point: page config, language, navigation over an explicit list of pages.

Run with ``streamlit run dashboard/app.py`` (``bash scripts/app.sh`` sets up,
builds the warehouse if missing and does that).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

from dashboard.memory import use_system_allocator_for_arrow  # noqa: E402

use_system_allocator_for_arrow()  # before anything imports pandas or pyarrow

from dashboard import state  # noqa: E402
from dashboard.i18n import LANGS, t  # noqa: E402


# A local icon: an emoji or Material icon as favicon would be fetched from a CDN.
st.set_page_config(page_title="DSR Dashboard", page_icon=str(Path(__file__).parent / "icon.png"), layout="wide")
state.restore_global()

with st.sidebar:
    st.markdown(f"### {t('app_title')}")
    st.caption(t("app_subtitle"))

PAGES = [
    ("karte", "page_map", ":material/map:"),
    ("steckbrief", "page_profile", ":material/article:"),
    ("vergleich", "page_compare", ":material/compare_arrows:"),
    ("trends", "page_trends", ":material/show_chart:"),
    ("sektoren", "page_sectors", ":material/category:"),
    ("projekte", "page_projects", ":material/list_alt:"),
    ("quellen", "page_sources", ":material/menu_book:"),
]

pages = {slug: st.Page(f"views/{slug}.py", title=t(label), icon=icon, url_path=slug) for slug, label, icon in PAGES}


def _start() -> None:
    """The app's root URL opens the map under its own name (/karte), with the
    link's parameters: every page, the map too, answers to its name."""
    st.switch_page(pages[state.DEFAULT_PAGE], query_params=dict(st.query_params))


navigation = st.navigation([st.Page(_start, title=t("page_map"), url_path="start", default=True, visibility="hidden"), *pages.values()])

with st.sidebar:
    st.radio(
        f"{t('language')}",
        options=list(LANGS),
        format_func=lambda code: {"de": "Deutsch", "en": "English"}[code],
        key="lang",
        horizontal=True,
    )

navigation.run()
