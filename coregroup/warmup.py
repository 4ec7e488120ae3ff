"""Work done once, in gunicorn's master, before it forks the workers (gunicorn.conf.py).

Without it every worker, and every worker that replaces a recycled one, compiles the templates
and loads the translations and locale data on its first requests, taking that time from the
people it serves (the figures are in the README's benchmark section). Forked workers share what
the master built.
"""

from __future__ import annotations

import gc

from babel import Locale
from flask import Flask
from flask_babel import force_locale, get_translations

TEMPLATE_SUFFIXES = (".html", ".js", ".txt")


def warm(app: Flask) -> dict[str, int]:
    """Compile every template and load every shipped language; then freeze what exists, so the
    workers' garbage collector does not walk (and copy, page by page) the master's objects."""
    env = app.jinja_env
    names = env.list_templates(filter_func=lambda name: name.endswith(TEMPLATE_SUFFIXES))
    with app.test_request_context():
        for name in names:
            template = env.get_template(name)
            if name.startswith("macros/"):
                template.module  # noqa: B018 - macro files are used as modules: build them once
        for code in app.config["LANGUAGES"]:
            with force_locale(code):
                get_translations()
            locale = Locale.parse(code)
            locale.datetime_formats  # noqa: B018 - loads the locale's CLDR data
    gc.collect()
    gc.freeze()
    return {"templates": len(names), "languages": len(app.config["LANGUAGES"])}
