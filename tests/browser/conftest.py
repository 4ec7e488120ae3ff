"""A live server and real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from coregroup import create_app
from coregroup.demo import load_demo
from coregroup.extensions import db

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        # A browser test that cannot run is a failure, never a skip: CI must install Chromium.
        pytest.fail("Debian's chromium is not installed: run `apt-get install chromium`.")
    return path


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def inbox():
    """A real SMTP server on loopback that keeps what it is sent."""
    from tests.conftest import Inbox

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def live_server(database_uri, inbox):
    """The app with the demo case, served on a free loopback port; yields (url, credentials)."""
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        WTF_CSRF_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=inbox.port,
    )
    with app.app_context():
        db.create_all()
        credentials = load_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", credentials
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/cases")
