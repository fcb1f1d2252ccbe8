"""The floor of every page load: a Streamlit app with nothing but a title.

``bench/run.py`` times it in the same browser as the map, so the map's own
share of a page load is the difference, measured in one run."""

import streamlit as st

st.title("DSR")
