"""The one-line notice a page shows after a command redirected to it ("Request X was cancelled").

A redirect asks for a notice by key (``?notice=cancelled&ref=P-2026-0001``); only the keys below are
shown, and the request number only in the shape of one, so a link cannot make a page say anything
else. Every page of the blueprint gets ``notice`` this way unless it passes its own.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import g, request

from web import i18n
from web.blueprint import bp
from web.vocabulary import N_

_REF = re.compile(r"^#?[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")
_TEXTS = {
    "cancelled": N_("Request %(ref)s was cancelled."),
    "suspended": N_("Request %(ref)s was suspended."),
    "resumed": N_("Request %(ref)s was resumed."),
    "retried": N_("The incident of %(ref)s was retried."),
}


def back_with_notice(target: str, key: str, ref: str) -> str:
    """``target`` with the notice ``key`` about request ``ref`` asked of the page it leads to."""
    parts = urlsplit(target)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("notice", "ref")]
    return urlunsplit(parts._replace(query=urlencode([*kept, ("notice", key), ("ref", ref)])))


@bp.context_processor
def _notice() -> dict[str, str]:
    key, ref = request.args.get("notice", ""), request.args.get("ref", "")
    if key not in _TEXTS or not _REF.match(ref):
        return {}
    return {"notice": i18n.gettext(g.get("locale", "en"), _TEXTS[key], ref=ref)}
