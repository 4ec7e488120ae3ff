"""The app on a phone: the web app manifest, the service worker and the offline page.

What is kept on the phone, and when, is decided in `static/app/offline.js` (the page) and
`templates/offline/sw.js` (the service worker): the app's own files always; the family's view
of the plan only when that family member chose it on that phone; nothing else.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from coregroup.i18n import gettext as _

bp = Blueprint("offline", __name__)
# The app's own files, kept by the service worker (named as in static/dist/manifest.json).
SHELL = (
    "dist/app.css",
    "dist/govuk-frontend.min.js",
    "app/init.js",
    "app/session.js",
    "app/offline.js",
    "app/drafts.js",
    "app/live.js",
    "app/icon.svg",
    "app/icons/icon-192.png",
)


def _asset(name: str) -> str:
    return current_app.jinja_env.globals["asset_url"](name)


@bp.get("/manifest.webmanifest")
def manifest():
    """Named in the language of the page that links it (`?lang=`), so the installed app is too."""
    from coregroup.i18n import own_name  # noqa: F401 - the catalogs are loaded by Flask-Babel

    body = {
        "name": _("Core Group"),
        "short_name": _("Core Group"),
        "description": _("Your child's plan, written together with the people who help."),
        "lang": str(request.args.get("lang", "en_GB")).replace("_", "-"),
        "dir": "auto",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d70b8",
        "icons": [
            {"src": _asset("app/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": _asset("app/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": _asset("app/icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": _asset("app/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker: served from the root so that it may look after every page. Its text
    names every fingerprinted file, so a new release is a new worker with a new cache."""
    shell = [_asset(name) for name in SHELL] + [url_for("offline.offline_page")]
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    response = current_app.response_class(
        render_template(
            "offline/sw.js", shell=shell, version=version, drafts_url=_asset("app/drafts.js")
        ),
        mimetype="text/javascript",
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline_page():
    """Shown by the service worker for a page that is not kept on the phone."""
    response = current_app.response_class(render_template("offline/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/session/token")
def session_token():
    """A fresh CSRF token for sending views kept on the phone; 401 when signed out."""
    if not current_user.is_authenticated:
        return jsonify(signedIn=False), 401
    return jsonify(signedIn=True, user=current_user.id, csrfToken=generate_csrf())
