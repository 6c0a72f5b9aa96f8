"""Languages and time zones of the portal's pages (Flask-Babel).

Every text a participant reads goes through gettext. English is the source language: its
catalogue ships as ``translations/messages.pot`` beside this module (and ``en``). The launch's
``launch_presentation.locale`` (Moodle sends the user's language, e.g. ``de`` or ``en-GB``)
chooses among the catalogues the portal has, best match first; a company adds its own under
its site's ``translations/`` folder (``pybabel init``/``compile``, see the README), which is
searched before the shipped one. Dates and times show in the person's own time zone (the HR
record's), else the site's.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names
from flask import Flask, g, session
from flask_babel import Babel, get_locale

SHIPPED = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "en"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _zone(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def best_locale(wanted: str, available: list[str]) -> str:
    """The available locale closest to ``wanted`` (``de-AT`` finds ``de_AT``, else ``de``)."""
    if not wanted:
        return DEFAULT_LOCALE
    try:
        parsed = Locale.parse(wanted.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LOCALE
    for candidate in (str(parsed), parsed.language):
        if candidate in available:
            return candidate
    return DEFAULT_LOCALE


def init_app(app: Flask, site_root: Path, site_zone: str) -> None:
    """Install Babel with the site's catalogues (if any) before the shipped ones."""
    directories = [str(site_root / "translations"), str(SHIPPED)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    fallback_zone = _zone(site_zone) or "UTC"
    babel = Babel()
    available: list[str] = []

    def select_locale() -> str:
        if not available:
            available.extend(str(locale) for locale in babel.list_translations())
        return best_locale(str(session.get("locale") or ""), available)

    def select_zone() -> str:
        return _zone(str(getattr(g, "person_zone", "") or "")) or fallback_zone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_zone)
    app.jinja_env.globals["html_lang"] = lambda: select_locale().replace("_", "-")

    @app.context_processor
    def _day_names() -> dict[str, object]:
        wide = get_day_names("wide", locale=get_locale())
        short = get_day_names("abbreviated", locale=get_locale())
        return {
            "day_names": {day: wide[i] for i, day in enumerate(DAYS)},
            "day_abbr": {day: short[i] for i, day in enumerate(DAYS)},
        }
