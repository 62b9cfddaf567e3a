"""The web UI in English and Chinese: its own strings (gettext), the models' bilingual names, and
dates, times and amounts written the way each language writes them, in the reader's time zone.

Flask-free: pages pass the locale in (``choose_locale`` picks it from the user's preference, a
cookie and the browser's Accept-Language), and ``install`` gives a Jinja environment the gettext
callables and filters, reading the locale of the request being rendered through a callable.

The UI's own strings are written in English in the code and templates (``_("Sign in")``,
``gettext(locale, "Sign in")``); their Chinese is in ``translations/zh/LC_MESSAGES/messages.po``
(``make translations`` extracts new strings into it; tests/web/test_i18n.py fails while one has no
translation). Names in models are not in the catalog: the models carry both languages themselves,
"English\\n中文" in BPMN names, "English 中文" in process names, ``{en, zh}`` in model.toml, ``title``
and ``x-title-zh`` in forms; ``localized`` and ``form_title`` pick the reader's part.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_timedelta, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from jinja2 import Environment

from engine.identity import LOCALES

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "TRANSLATIONS_DIR",
    "catalog_path",
    "choose_locale",
    "enum_titles",
    "form_title",
    "format_amount",
    "format_date",
    "format_datetime",
    "format_relative",
    "gettext",
    "install",
    "localized",
    "ngettext",
    "translations",
]

DEFAULT_LOCALE = "en"  # the language the code's strings are written in: it needs no catalog
TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DOMAIN = "messages"

# CLDR data per UI locale: Chinese as written in mainland China (Simplified script, CNY as ¥).
_BABEL_LOCALES = {"en": "en", "zh": "zh_Hans_CN"}

# At most this many language ranges of an Accept-Language header are looked at: a browser sends a
# handful; a hostile header of thousands costs no more than this.
_MAX_LANGUAGE_RANGES = 32


def catalog_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


# --- the UI's own strings ------------------------------------------------------------------------


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The catalog of a UI locale, loaded once per process (unknown locales: the English strings).

    Compiled here, in memory, from the committed .po rather than from a .mo built by `make setup`:
    nothing generated is committed or can fall out of step with the .po (a stale .mo would show old
    translations after an edit; a missing one, none), every way of running the code (editable
    install, wheel, tests, gunicorn) reads the same file, and compiling a catalog of a few hundred
    strings takes milliseconds, once. Fuzzy entries (guesses by `make translations` awaiting review)
    are left out, as gettext tools do, so a reader sees English rather than a wrong guess.
    """
    if locale not in LOCALES or locale == DEFAULT_LOCALE:
        return _gettext.NullTranslations()
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(locale: str, msgid: str, **kw: Any) -> str:
    """``msgid`` in ``locale``, its ``%(name)s`` placeholders filled from ``kw``.

    Formatted whenever ``kw`` is given, as Jinja's newstyle gettext does, so one msgid reads the same
    from Python and from a template (a literal % then is %%).
    """
    text = translations(locale).gettext(msgid)
    return text % kw if kw else text


def ngettext(locale: str, singular: str, plural: str, n: int, **kw: Any) -> str:
    """The singular or plural form for ``n`` (Chinese has one form); ``%(num)s`` is ``n``."""
    text = translations(locale).ngettext(singular, plural, n)
    return text % {"num": n, **kw}


def install(
    env: Environment,
    current_locale: Callable[[], str],
    current_time_zone: Callable[[], str | None] = lambda: None,
) -> None:
    """Give ``env`` gettext (``_``, ``gettext``, ``ngettext``, ``{% trans %}``) in the locale
    ``current_locale()`` returns at render time (the request's), and filters for the rest:

    ``{{ task.name|localized }}``, ``{{ form|form_title }}``, ``{{ due|datetime }}``,
    ``{{ due|date }}``, ``{{ due|relative(now) }}``, ``{{ amount|amount(currency) }}``.

    Newstyle gettext: ``_("Page %(page)s of %(pages)s", page=2, pages=5)`` formats, and escapes
    the values it fills in under autoescaping.
    """
    env.add_extension("jinja2.ext.i18n")

    def _gettext_now(message: str) -> str:
        return translations(current_locale()).gettext(message)

    def _ngettext_now(singular: str, plural: str, n: int) -> str:
        return translations(current_locale()).ngettext(singular, plural, n)

    def _pgettext_now(context: str, message: str) -> str:
        return translations(current_locale()).pgettext(context, message)

    env.install_gettext_callables(  # type: ignore[attr-defined]  (added by the i18n extension)
        _gettext_now, _ngettext_now, newstyle=True, pgettext=_pgettext_now
    )
    env.filters["localized"] = lambda text: localized(text, current_locale())
    env.filters["form_title"] = lambda node: form_title(node, current_locale())
    env.filters["datetime"] = lambda dt: format_datetime(dt, current_locale(), current_time_zone())
    env.filters["date"] = lambda value: format_date(value, current_locale(), current_time_zone())
    env.filters["relative"] = lambda dt, now: format_relative(dt, now, current_locale())
    env.filters["amount"] = lambda value, currency=None: format_amount(value, currency, current_locale())


# --- which language --------------------------------------------------------------------------------


def _supported(tag: str | None) -> str | None:
    """The UI locale a language tag asks for: zh, zh-CN, zh_Hans, zh-TW → zh; en-GB → en."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LOCALES else None


def _accepted(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 and bad q left out)."""
    ranges = []
    for position, part in enumerate(header.split(",")[:_MAX_LANGUAGE_RANGES]):
        tag, _, params = part.partition(";")
        quality = 1.0
        match = re.fullmatch(r"\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*", params) if params else None
        if params:
            if match is None:
                continue
            quality = float(match.group(1))
        if quality > 0 and tag.strip() and tag.strip() != "*":
            ranges.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranges)]


def choose_locale(preferred: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The UI's language for a request: the user's saved choice, else the language cookie (what a
    visitor chose before signing in), else the browser's most wanted language we have, else English.
    Values we do not support are passed over, never an error: they come from the request."""
    for choice in (preferred, cookie):
        if (locale := _supported(choice)) is not None:
            return locale
    for tag in _accepted(accept_language or ""):
        if (locale := _supported(tag)) is not None:
            return locale
    return DEFAULT_LOCALE


# --- names the models carry in both languages ----------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _split_bilingual(text: str) -> tuple[str, str] | None:
    """("English", "中文") of "English\\n中文" or "English 中文": the Chinese part starts at the first
    Chinese character, which must follow a line break or space; None when the text is not built so
    ("Claim (理赔)?", all English, all Chinese)."""
    match = _CJK.search(text)
    if match is None or match.start() == 0 or not text[match.start() - 1].isspace():
        return None
    english, chinese = text[: match.start()].strip(), text[match.start() :].strip()
    if not english or not chinese:
        return None
    return " ".join(english.split()), chinese


def localized(text: str | Mapping[str, str] | None, locale: str) -> str:
    """The part of a bilingual name in ``locale``: "Sales manager review\\n销售经理审核" → "销售经理审核"
    in zh, "Sales manager review" in en; a model.toml name ``{en, zh}`` → its entry (English, else
    any, when it has none for ``locale``). A text that cannot be split is shown whole."""
    if text is None:
        return ""
    if isinstance(text, Mapping):
        return text.get(locale) or text.get(DEFAULT_LOCALE) or next(iter(text.values()), "")
    parts = _split_bilingual(text)
    if parts is None:
        return text
    return parts[1] if locale == "zh" else parts[0]


def form_title(node: Mapping[str, Any], locale: str) -> str | None:
    """A form's or a field's title: ``x-title-zh`` for Chinese readers when the form has one, else
    ``title`` (itself possibly bilingual)."""
    title = node.get("title")
    if locale == "zh" and node.get("x-title-zh"):
        return node["x-title-zh"]
    return localized(title, locale) if isinstance(title, str) else None


def enum_titles(node: Mapping[str, Any], locale: str) -> list[str]:
    """What to show for each of a field's ``enum`` values: ``x-enum-titles-zh`` in Chinese when it
    names every value, else the values themselves (forms write them as readable English)."""
    values = node.get("enum") or []
    titles = node.get("x-enum-titles-zh")
    if locale == "zh" and isinstance(titles, list) and len(titles) == len(values):
        return [str(t) for t in titles]
    return [str(v) for v in values]


# --- dates, times, amounts ---------------------------------------------------------------------------


def _babel_locale(locale: str) -> Locale:
    return Locale.parse(_BABEL_LOCALES.get(locale, DEFAULT_LOCALE))


def _aware(dt: datetime) -> datetime:
    # The engine stores and returns UTC; a naive value is one of those.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _zone(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or "UTC")


def format_datetime(dt: datetime, locale: str, tz: str | None) -> str:
    """Date and time to the minute in the zone ``tz`` (None: UTC), as the language writes them:
    "Nov 26, 2026, 01:30" / "2026年11月26日 01:30" (24-hour clock in both: approvals are read
    across offices, and "01:30" cannot be misread as afternoon)."""
    babel_locale = _babel_locale(locale)
    zone, moment = _zone(tz), _aware(dt)
    time_part = format_skeleton("Hm", moment, tzinfo=zone, locale=babel_locale)
    date_part = format_skeleton("yMMMd", moment, tzinfo=zone, locale=babel_locale)
    return get_datetime_format("medium", locale=babel_locale).format(time_part, date_part)


def format_date(value: date | datetime, locale: str, tz: str | None = None) -> str:
    """A date, "Nov 26, 2026" / "2026年11月26日"; a date-time is first moved into ``tz`` (the day it
    is there, which across midnight is not the day it is in UTC)."""
    if isinstance(value, datetime):
        value = _aware(value).astimezone(_zone(tz)).date()
    return format_skeleton("yMMMd", value, locale=_babel_locale(locale))


def format_relative(dt: datetime, now: datetime, locale: str) -> str:
    """How far ``dt`` is from ``now``: "in 2 days", "3 hours ago" / "2天后", "3小时前"."""
    return format_timedelta(
        _aware(dt) - _aware(now), add_direction=True, format="long", locale=_babel_locale(locale)
    )


def format_amount(value: Any, currency: str | None, locale: str) -> str:
    """An amount with its currency ("CN¥1,234,567.50" / "¥1,234,567.50"); without a currency, the
    number alone. Form data may hold anything: what is not a number is shown as it is."""
    try:
        number = value if isinstance(value, int | float | Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if isinstance(number, bool):
        return str(value)
    babel_locale = _babel_locale(locale)
    if not currency:
        return format_decimal(number, locale=babel_locale)
    return format_currency(number, currency.upper(), locale=babel_locale)


def format_duration(seconds: float, locale: str) -> str:
    """A wait, short, to two significant figures at most: "45 min", "2.5 h", "3.2 d", "41 d" (minutes
    under an hour, hours under two days, then days: a wait of 30 hours reads better than "1 day")."""
    if seconds < 60:
        return gettext(locale, "under a minute")
    if seconds < 3600:
        return gettext(locale, "%(n)s min", n=round(seconds / 60))
    if seconds < 48 * 3600:
        return gettext(locale, "%(n)s h", n=_short(seconds / 3600))
    return gettext(locale, "%(n)s d", n=_short(seconds / 86400))


def _short(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") if value < 10 else str(round(value))
