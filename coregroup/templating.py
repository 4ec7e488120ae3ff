"""Jinja set-up: GOV.UK Frontend macros, the CSP nonce and the project's filters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from babel import dates as babel_dates
from flask import g
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
    to_user_timezone,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.bccache import MemcachedBytecodeCache

from coregroup import fonts
from coregroup.i18n import catalog_status, own_name

STATIC_DIST = Path(__file__).resolve().parent / "static" / "dist"
# Words that come from configuration, marked here so that they are extracted and translated.
CONFIGURED_WORDS = (
    _l("Core Group"),
    _l("the child is not safe, and things must change now"),
    _l("the child is safe and well, and the plan is no longer needed"),
)


def _asset_manifest() -> dict:
    """Fingerprinted file names written by the asset build (static/dist/manifest.json)."""
    path = STATIC_DIST / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


class _ProcessCache(dict):
    """Compiled templates kept for the process, shared by every app it creates (the tests make
    hundreds; one production process makes one). Safe: Jinja keys each entry by the template's
    name and a checksum of its source, so a changed template is compiled afresh."""

    def set(self, key, value, timeout=None):
        self[key] = value


_COMPILED = MemcachedBytecodeCache(_ProcessCache())


def register(app) -> None:
    app.jinja_env.bytecode_cache = _COMPILED
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    manifest = _asset_manifest()

    def asset_url(name: str) -> str:
        """A static file's URL by its name under static/: the fingerprinted copy when built."""
        return "/static/" + manifest.get(name, name)

    app.jinja_env.globals["asset_url"] = asset_url

    @app.context_processor
    def _globals():
        locale = get_locale()
        return {
            "csp_nonce": getattr(g, "csp_nonce", ""),
            "service_name": app.config["SERVICE_NAME"],
            "html_lang": str(locale).replace("_", "-") if locale else "en",
            "text_dir": "rtl" if locale and locale.character_order == "right-to-left" else "ltr",
            "asset": asset_url,
            "idle_seconds": int(app.config["COREGROUP_IDLE_TIMEOUT"].total_seconds()),
            "current_language": str(locale) if locale else "en_GB",
            "script_stylesheet": fonts.STYLESHEETS.get(locale.language) if locale else None,
            "languages": [
                (code, own_name(code), catalog_status(code)["reviewed"])
                for code in app.config["LANGUAGES"]
            ],
        }

    @app.template_filter("day")
    def _day(value: dt.date | None) -> str:
        return format_date(value, "d MMMM yyyy") if value else ""

    @app.template_filter("relative")
    def _relative(value: dt.date | None) -> str:
        """'in 3 days', '2 weeks ago', in the page's language (Babel)."""
        if not value:
            return ""
        if value == dt.date.today():
            return _("today")
        return format_timedelta(value - dt.date.today(), granularity="day", add_direction=True)

    @app.template_filter("category")
    def _category(value: str) -> str:
        """A category of concern (a code, e.g. "neglect") in the reader's language."""
        from coregroup.cases.forms import CATEGORY_LABELS

        return str(CATEGORY_LABELS.get(value, value))

    @app.template_filter("number")
    def _number(value) -> str:
        return format_decimal(value)

    @app.template_filter("minute")
    def _minute(value: dt.datetime) -> str:
        """A date and time to the minute (no seconds), in the page's language and time zone."""
        locale = get_locale()
        when = to_user_timezone(value.replace(tzinfo=dt.UTC))
        return (
            babel_dates.get_datetime_format("medium", locale)
            .replace("'", "")
            .replace("{0}", babel_dates.format_time(when, "short", locale=locale))
            .replace("{1}", babel_dates.format_date(when, "medium", locale=locale))
        )

    @app.template_filter("datetime")
    def _datetime(value: dt.datetime) -> str:
        return format_datetime(value.replace(tzinfo=dt.UTC), "medium")
