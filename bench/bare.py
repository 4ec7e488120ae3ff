"""The ceiling: a bare Flask app that renders a page of the same size through one Jinja
template (compiled once), served by the same gunicorn settings in the same run."""

import os
from pathlib import Path

from flask import Flask

app = Flask(__name__)
PAGE = Path(os.environ["BENCH_PAGE"]).read_text()
TEMPLATE = app.jinja_env.from_string("{{ page|safe }}")  # compiled once, at start-up


@app.get("/")
def page():
    return TEMPLATE.render(page=PAGE)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
