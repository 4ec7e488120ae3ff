"""Shared fixtures: an app on a fresh database, a client, and small factories."""

from __future__ import annotations

import datetime as dt
import email
import itertools
import os
import socket

import pytest
from bs4 import BeautifulSoup
from flask import g

from coregroup import create_app
from coregroup.auth import hash_password
from coregroup.extensions import db as _db
from coregroup.models import Case, Child, ChildPlan, Member, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_HASH = None


def password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def pytest_collection_modifyitems(config, items):
    """Drills that stop PostgreSQL belong to the PostgreSQL lane only, and checks of the pages'
    HTML alone (axe) to the SQLite lane only: the same pages either way (not skipped: not run)."""
    lane = (
        "sqlite_only"
        if os.environ.get("COREGROUP_TEST_DATABASE") == "postgresql"
        else ("postgres_only")
    )
    kept = [i for i in items if i.get_closest_marker(lane) is None]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def pytest_report_header(config):
    return f"database: {os.environ.get('COREGROUP_TEST_DATABASE', 'sqlite')}"


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server, when the suite runs in the PostgreSQL lane."""
    if os.environ.get("COREGROUP_TEST_DATABASE") != "postgresql":
        yield None
        return
    from tests.postgres import ThrowawayPostgres

    server = ThrowawayPostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_uri(postgres, tmp_path):
    """An empty database for one test: a SQLite file, or a new PostgreSQL database."""
    if postgres is None:
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return postgres.create_database(f"test_{next(_counter)}")


def fresh_g_per_request(app) -> None:
    """Tests hold an app context open, which Flask reuses for each request, and with it `g`.

    In production every request has its own `g`; empty it first so tests see the same.
    """

    def empty_g():
        for name in list(vars(g)):
            delattr(g, name)

    app.before_request_funcs.setdefault(None, []).insert(0, empty_g)


@pytest.fixture
def app(database_uri, tmp_path):
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_uri,
        COREGROUP_AUDIT_CHECKPOINTS=str(tmp_path / "audit-checkpoints"),
    )
    fresh_g_per_request(app)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_user(**overrides) -> User:
    n = next(_counter)
    values = {
        "email": f"user{n}@example.test",
        "name": f"User {n}",
        "password_hash": password_hash(),
        "professional": True,
    }
    values.update(overrides)
    user = User(**values)
    _db.session.add(user)
    _db.session.commit()
    return user


def make_case(categories=("neglect",), **overrides) -> Case:
    """A case with one child on a plan (`categories=None`: not on one) since its conference."""
    n = next(_counter)
    values = {"reference": f"CASE-{n:04d}", "initial_conference": dt.date(2026, 11, 2)}
    values.update(overrides)
    case = Case(**values)
    case.children = [Child(name=f"Child {n}", date_of_birth=dt.date(2019, 5, 1))]
    if categories is not None:
        started = case.initial_conference or dt.date(2026, 11, 2)
        case.children[0].plans = [ChildPlan.starting(1, categories, started)]
    _db.session.add(case)
    _db.session.commit()
    return case


def make_member(case: Case, user: User | None = None, **overrides) -> Member:
    values = {
        "name": user.name if user else "Someone",
        "role": "lead-social-worker",
        "case_id": case.id,
        "user": user,
        "joined_on": dt.date(2026, 11, 2),
    }
    values.update(overrides)
    member = Member(**values)
    _db.session.add(member)
    _db.session.commit()
    return member


def sign_in(client, user: User) -> None:
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.text


def page(response) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def professional(app):
    case = make_case()
    user = make_user(name="Sam Social")
    member = make_member(case, user, role="lead-social-worker")
    return case, user, member


@pytest.fixture
def signed_in(client, professional):
    case, user, member = professional
    sign_in(client, user)
    return case, user, member


@pytest.fixture
def planned(db, client):
    """A case with a saved plan whose members are the demo people; signed in as the lead."""
    from coregroup.demo import PEOPLE
    from coregroup.plans import services
    from tests.factories import REFS, full_plan

    case = make_case()
    members = {}
    roles = {key: role for key, _name, role, *_ in PEOPLE}  # one lead; a health visitor, ...
    for key in REFS:
        role = roles[key]
        user = make_user(name=key.title(), professional=role != "parent")
        members[key] = make_member(case, user, role=role, ref=f"m-{key}")
    services.write_version(case, members["sam"].user, full_plan())
    db.session.commit()
    sign_in(client, members["sam"].user)
    return case, members


class Inbox:
    """What a real SMTP server on loopback (aiosmtpd) was sent."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message) -> str:
        """The text of the e-mail (its text/plain part when it carries an invitation too)."""
        if message.is_multipart():
            message = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        return message.get_payload(decode=True).decode()


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()
