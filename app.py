"""Entry point for `flask --app app …` and WSGI servers."""

from coregroup import create_app

app = create_app()
