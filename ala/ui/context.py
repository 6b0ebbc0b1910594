"""The shared context in the app: kept in the session, mirrored in the URL, read by every page.

A page calls :func:`current` for the question so far, starts its widgets from it, and calls
:func:`update` with what the user changed. Session state survives page switches; the URL
(rewritten on every run, since a page switch drops query parameters) survives reloads and
shares the view by link. Widget keys are shared across pages (``ctx-ii`` on Predict and
Sizing), so a value typed on one page is the value on the next.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ala.context import PARAMS, Context, from_query, to_query

KEY = "ala-context"
# Query parameters that are not part of the context and must be kept (dataset, workspace).
KEEP = ("dataset", "ws")


def current() -> Context:
    """This session's context: from the session, else from the URL (a shared link or a
    reload); link values that did not parse are named once, as a warning."""
    context: Context | None = st.session_state.get(KEY)
    if context is None:
        context = from_query({k: st.query_params[k] for k in st.query_params})
        for problem in context.problems:
            st.warning(problem, icon=":material/link_off:")
        context = context.with_()
        st.session_state[KEY] = context
    _to_url(context)
    return context


def update(**changes: Any) -> Context:
    """Change fields of the context (only those that differ); returns the new context."""
    context = current()
    changed = {k: v for k, v in changes.items() if getattr(context, k) != v}
    if changed:
        context = context.with_(**changed)
        st.session_state[KEY] = context
        _to_url(context)
    return context


def _to_url(context: Context) -> None:
    wanted = to_query(context)
    wanted.pop("dataset", None)  # the dataset picker owns ?dataset=
    for param in PARAMS:
        if param in KEEP:
            continue
        if param in wanted:
            if st.query_params.get(param) != wanted[param]:
                st.query_params[param] = wanted[param]
        elif param in st.query_params:
            del st.query_params[param]
