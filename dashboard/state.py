"""The state of a view, in one place: it lives in the URL's query parameters.

Each page declares its parameters (``Param``); ``restore`` puts the URL's values
into the widgets' session state before they are drawn (so a permalink reopens
the view), ``sync`` writes the widgets' values back to the URL after the page
has run. Values that are not valid for the current data are replaced by the
default (``choose``), never passed to a widget that would fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

LIST_SEP = ","
DEFAULT_PAGE = "karte"


@dataclass(frozen=True)
class Param:
    name: str  # query parameter name
    default: Any = None
    kind: str = "str"  # str, int, list

    def parse(self, raw: str) -> Any:
        if self.kind == "int":
            try:
                return int(raw)
            except ValueError:
                return self.default
        if self.kind == "list":
            return [item for item in raw.split(LIST_SEP) if item]
        return raw

    def dump(self, value: Any) -> str | None:
        if value is None or value == self.default:
            return None
        if self.kind == "list":
            return LIST_SEP.join(str(v) for v in value) if value else None
        return str(value)


GLOBAL = (Param("lang", "de"),)


def key(page: str, param: Param) -> str:
    """Session-state key of a page's parameter (also the widget key)."""
    return param.name if param in GLOBAL else f"{page}.{param.name}"


def _url_params() -> dict[str, str]:
    return {k: st.query_params.get(k) for k in st.query_params.keys()}


def restore(page: str, params: Sequence[Param]) -> None:
    """Take the URL's values into session state when the URL says something new.

    A URL that equals what this page last wrote is just the echo of the widgets:
    the widgets stay the truth. Anything else (a permalink opened, a link
    followed) overrides the widgets for the parameters it names; ``choose``
    then says which of them it had to replace (``notices``), in a box that
    this call reserves at the top of the page.
    """
    url = _url_params()
    written = st.session_state.setdefault("_state_written", {})
    from_url = st.session_state.setdefault("_from_url", {})
    from_url[page] = {}
    st.session_state.setdefault("_corrections", {})[page] = []
    st.session_state.setdefault("_notice_box", {})[page] = st.empty()
    if url == written.get(page):
        return
    names = {p.name for p in params}
    unknown = sorted(set(url) - names - {p.name for p in GLOBAL})
    if unknown:
        st.session_state["_corrections"][page] += [(name, url[name], None) for name in unknown]
    for param in params:
        k = key(page, param)
        if param.name in url:
            st.session_state[k] = param.parse(url[param.name])
            from_url[page][param.name] = url[param.name]
        elif k not in st.session_state:
            st.session_state[k] = param.default


def from_url(page: str, param: Param) -> bool:
    """Whether the link that opened this run named ``param`` (not the widgets' echo)."""
    return param.name in st.session_state.get("_from_url", {}).get(page, {})


def imply(page: str, given: Param, implied: Param, mapping: dict) -> None:
    """A link that names ``given`` but not ``implied`` (``?ind=gdp_mio_eur``
    without its topic) sets ``implied`` from ``mapping`` (indicator → topic)."""
    value = st.session_state.get(key(page, given))
    if from_url(page, given) and not from_url(page, implied) and value in mapping:
        st.session_state[key(page, implied)] = mapping[value]


def _correct(page: str, param: Param, given: Any, replaced_by: Any) -> None:
    """Remember that a value from the link was replaced (shown by ``notices``)."""
    if from_url(page, param):
        st.session_state["_corrections"][page].append((param.name, given, replaced_by))


def notices(page: str) -> list[tuple[str, Any, Any]]:
    """What ``choose`` replaced in the link of this run: (parameter, given, used)."""
    return list(st.session_state.get("_corrections", {}).get(page, []))


def _show_notices(page: str) -> None:
    from dashboard.i18n import md_escape, t

    items = notices(page)
    box = st.session_state.get("_notice_box", {}).get(page)
    if not items or box is None:
        return
    parts = []
    for name, given, used in items:
        given_text = LIST_SEP.join(map(str, given)) if isinstance(given, list) else str(given)
        if used is None or used == []:
            parts.append(t("url_dropped", name=md_escape(name), given=md_escape(given_text)))
        else:
            used_text = LIST_SEP.join(map(str, used)) if isinstance(used, list) else str(used)
            parts.append(t("url_replaced", name=md_escape(name), given=md_escape(given_text), used=md_escape(used_text)))
    box.info(t("url_corrected") + " " + "; ".join(parts), icon=":material/link_off:")


def restore_global() -> None:
    """The language (and other app-wide parameters) from the URL, before the
    sidebar draws its widgets. Only a URL value we did not write ourselves counts."""
    url = _url_params()
    written = st.session_state.setdefault("_global_written", {})
    for param in GLOBAL:
        if param.name in url and url[param.name] != written.get(param.name):
            st.session_state[param.name] = param.parse(url[param.name])
            written[param.name] = url[param.name]
        elif param.name not in st.session_state:
            st.session_state[param.name] = param.default


def get(page: str, param: Param) -> Any:
    return st.session_state.get(key(page, param), param.default)


def choose(page: str, param: Param, options: Sequence[Any], default: Any | None = None) -> Any:
    """Make sure the parameter's value is one of ``options`` (else the default or the first)."""
    k = key(page, param)
    value = st.session_state.get(k, param.default)
    if param.kind == "list":
        valid = [v for v in (value or []) if v in options]
        if len(valid) != len(value or []):
            _correct(page, param, [v for v in value if v not in options], None)
        st.session_state[k] = valid
        return valid
    if value not in options:
        fallback = default if default in options else (param.default if param.default in options else (options[0] if options else None))
        _correct(page, param, value, fallback)
        st.session_state[k] = fallback
        return fallback
    return value


def sync(page: str, params: Sequence[Param]) -> None:
    """Write the current values to the URL (defaults are left out) and say
    what was replaced in the link that opened this run."""
    _show_notices(page)
    write_url(page, params)


def write_url(page: str, params: Sequence[Param]) -> None:
    """Write the current values to the URL (defaults are left out), without
    the notices: also from a fragment's own rerun (the Karte page's playing
    map writes each period it shows)."""
    wanted: dict[str, str] = {}
    for param in (*GLOBAL, *params):
        dumped = param.dump(st.session_state.get(key(page, param), param.default))
        if dumped is not None:
            wanted[param.name] = dumped
    if _url_params() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state.setdefault("_state_written", {})[page] = wanted
    st.session_state.setdefault("_global_written", {}).update({p.name: wanted.get(p.name) for p in GLOBAL})


def stop(page: str, params: Sequence[Param]) -> None:
    """End the page here (an empty or impossible selection) with its state still in the URL."""
    sync(page, params)
    st.stop()


def app_base_url(url: str | None, page_path: str) -> str:
    """The app's root URL from the browser's URL of a page (``http://host:port/base``)."""
    if not url:
        return "http://localhost:8501"
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.rsplit("/", 1)[-1] == page_path:
        path = path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{path}"


def permalink(page_path: str, page: str, params: Sequence[Param]) -> str:
    """The full URL of the current view, for the footer and the exports."""
    query = {}
    for param in (*GLOBAL, *params):
        dumped = param.dump(st.session_state.get(key(page, param), param.default))
        if dumped is not None:
            query[param.name] = dumped
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - not available outside a browser session (AppTest)
        url = None
    base = app_base_url(url, page_path)
    return f"{base}/{page_path}" + (f"?{urlencode(query)}" if query else "")
