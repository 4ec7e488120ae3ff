"""Bearer tokens for other systems: scoped, expiring, revocable, hashed at rest, audited.

A token acts as the person who created it (or for whom an administrator created it), through
that person's memberships: the same per-case access rules as for people, narrowed by scopes.
`flask --app app tokens create --user EMAIL --scope read:plans --name "Case system"`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import click
from flask import g, request
from flask.cli import AppGroup
from sqlalchemy import select, update

from coregroup import audit, textpolicy, unitofwork
from coregroup.extensions import db, login_manager
from coregroup.models import ApiToken, User, utcnow

PREFIX = "cg_"
# What a token may be allowed to do; each API route names the scope it needs.
SCOPES = {
    "read:cases": "Read cases, their children, members, meetings and due dates",
    "read:plans": "Read plans and their versions (also as FHIR)",
    "write:plans": "Change plans (a patch against a known version)",
    "read:meetings": "Read meeting records",
    "export": "Export whole cases (JSON, NDJSON in bulk, CIN census CSV)",
    "import": "Import whole cases exported from another installation",
}
# The scope each case permission needs when the caller is a token.
PERMISSION_SCOPES = {
    "case.view": "read:cases",
    "plan.export": "read:plans",
    "plan.history": "read:plans",
    "plan.edit": "write:plans",
    "plan.contribute": "write:plans",
    "meeting.view": "read:meetings",
    "case.manage": "export",
    "case.export": "export",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(user: User, name: str, scopes: list[str], days: int = 90) -> tuple[ApiToken, str]:
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope: {', '.join(sorted(unknown))}")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=_hash(secret),
        user_id=user.id,
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record("token-created", f"token {token.id} {' '.join(token.scopes)}", user.id)
    return token, secret


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@login_manager.request_loader
def load_from_token(_request):
    """A request with `Authorization: Bearer …` signs in as the token's person, API only."""
    secret = bearer()
    if not secret or not request.path.startswith("/api/"):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    now = utcnow()
    if (
        token is None
        or token.revoked_at is not None
        or token.expires_at <= now
        or not token.user.active
    ):
        return None
    g.api_token = token
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        unitofwork.later(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return db.session.get(User, token.user_id)


def current() -> ApiToken | None:
    return g.get("api_token")


def audit_target() -> str:
    """What the audit trail records as the target of this request, naming the token if any."""
    token = current()
    # The path is what was asked, not what exists: any character, any length. Kept as it may
    # be stored (the policy's bad characters shown as U+FFFD) and within the column.
    path = textpolicy.scrub(request.path)[:400]
    return f"{request.method} {path}" + (f" (token {token.id})" if token else "")


def allows(scope: str) -> bool:
    """True for a person signed in with a session; for a token, only within its scopes."""
    token = current()
    return token is None or scope in token.scopes


tokens_cli = AppGroup("tokens", help="API tokens for other systems.")


@tokens_cli.command("create")
@click.option("--user", "email", required=True, help="The person the token acts as.")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(sorted(SCOPES)))
@click.option("--name", required=True, help="Which system uses it, e.g. 'Case system'.")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
def create_command(email: str, scopes: tuple[str, ...], name: str, days: int):
    """Create a token; it is printed once and never shown again."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"No active account for {email}")
    token, secret = create(user, name, list(scopes), days)
    db.session.commit()
    click.echo(
        f"Token {token.id} for {user.email} ({', '.join(token.scopes)}), "
        f"expires {token.expires_at:%Y-%m-%d}:"
    )
    click.echo(secret)


@tokens_cli.command("list")
def list_command():
    """Every token: who it acts as, its scopes, and whether it still works."""
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = (
            "revoked"
            if token.revoked_at
            else "expired"
            if token.expires_at <= utcnow()
            else "active"
        )
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(
            f"{token.id}\t{token.name}\t{token.user.email}\t{','.join(token.scopes)}\t{state}\t"
            f"expires {token.expires_at:%Y-%m-%d}\tlast used {used}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int):
    """Stop a token working, at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    audit.record("token-revoked", f"token {token.id}", None)
    db.session.commit()
    click.echo(f"Token {token.id} revoked.")
