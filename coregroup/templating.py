"""Jinja set-up: GOV.UK Frontend macros, the CSP nonce and the project's filters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from babel import dates as babel_dates
from flask import g
from flask_babel import get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader, pass_context
from jinja2.bccache import MemcachedBytecodeCache
from markupsafe import Markup, escape

from coregroup import fonts, glossary
from coregroup.i18n import (
    catalog_status,
    digits,
    format_date,
    format_datetime,
    format_decimal,
    format_list,
    format_timedelta,
    machine_translated,
    own_name,
    with_digits,
)
from coregroup.i18n import gettext as _

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
    app.jinja_env.globals["glossary_terms"] = glossary.terms

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
            "machine_translated": machine_translated(locale),
            "script_stylesheet": fonts.STYLESHEETS.get(locale.language) if locale else None,
            "in_wales": (in_wales := _in_wales(app)),
            "languages": [
                (code, own_name(code), catalog_status(code)["reviewed"])
                for code in _welsh_first(app.config["LANGUAGES"], in_wales)
            ],
        }

    _gettext_with_digits(app.jinja_env)

    @app.template_filter("join_words")
    def _join_words(items) -> str:
        """A list in the language's own way: "a, b and c", "أ وب وج" (Babel)."""
        return format_list(list(items))

    @app.template_filter("said")
    def _said(value, lang: str | None = None) -> Markup:
        """Words someone typed, in a span that takes its direction from its own first letter, so
        English inside an Arabic page keeps its full stop at its end (and the reverse)."""
        language = f' lang="{escape(lang.replace("_", "-"))}"' if lang else ""
        return Markup(f'<span dir="auto"{language}>{escape(value)}</span>')

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
        return digits(
            babel_dates.get_datetime_format("medium", locale)
            .replace("'", "")
            .replace("{0}", babel_dates.format_time(when, "short", locale=locale))
            .replace("{1}", babel_dates.format_date(when, "medium", locale=locale))
        )

    @app.template_filter("datetime")
    def _datetime(value: dt.datetime) -> str:
        return format_datetime(value.replace(tzinfo=dt.UTC), "medium")


def _gettext_with_digits(env) -> None:
    """Templates' gettext and ngettext (Flask-Babel's, installed by Jinja's i18n extension) with
    every number they put into a message written in the page's digits."""
    jinja_gettext, jinja_ngettext = env.globals["gettext"], env.globals["ngettext"]

    @pass_context
    def gettext(context, string, **variables):
        return jinja_gettext(context, string, **with_digits(variables))

    @pass_context
    def ngettext(context, singular, plural, num, **variables):
        variables = with_digits({"num": num, **variables})
        return jinja_ngettext(context, singular, plural, num, **variables)

    env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext)


def _in_wales(app) -> bool:
    """Whether the page is about a case in Wales (or, with no case, the deployment is)."""
    case = g.get("case")
    place = case.jurisdiction if case is not None else app.config["COREGROUP_JURISDICTION"]
    return place == "wales"


def _welsh_first(codes: list[str], in_wales: bool) -> list[str]:
    """The Welsh Language Standards: in Wales, Welsh is offered first."""
    if in_wales and "cy" in codes:
        return ["cy", *(code for code in codes if code != "cy")]
    return list(codes)
