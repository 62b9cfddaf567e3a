"""Placeholder until the i18n branch lands (gettext catalogs, formatting)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import jinja2

LOCALES = ("en", "zh")


def install(env: jinja2.Environment, current_locale: Callable[[], str]) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def choose_locale(preferred: str | None, cookie: str | None, accept_language: str | None) -> str:
    for choice in (preferred, cookie):
        if choice in LOCALES:
            return choice
    return "zh" if accept_language and accept_language.lower().startswith("zh") else "en"


def localized(text: str | dict | None, locale: str) -> str:
    if text is None:
        return ""
    if isinstance(text, dict):
        return text.get(locale) or text.get("en") or next(iter(text.values()), "")
    if "\n" in text:
        en, _, zh = text.partition("\n")
        return zh.strip() if locale == "zh" else en.strip()
    return text


def format_datetime(dt: datetime | None, locale: str, tz: str) -> str:
    if dt is None:
        return ""
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def format_date(dt: datetime | None, locale: str, tz: str) -> str:
    return "" if dt is None else dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")


def format_relative(dt: datetime | None, now: datetime, locale: str) -> str:
    return "" if dt is None else format_datetime(dt, locale, "UTC")


def gettext(locale: str, msgid: str, **values: object) -> str:
    return msgid % values if values else msgid
