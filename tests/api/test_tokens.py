"""Bearer tokens for other systems: created once, hashed at rest, scoped, expiring, revocable,
audited; the same per-case access rules as for people; API only; no CSRF needed (no cookies)."""

import datetime as dt
import hashlib

from coregroup import tokens
from coregroup.models import ApiToken, AuditEvent
from tests.conftest import make_case, make_member, make_user


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _patch_plan(client, case, secret: str, etag: str, changes: dict):
    """A system's merge patch of the plan, with its token and the version it is based on."""
    return client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json=changes,
        headers={
            **_bearer(secret),
            "If-Match": etag,
            "Content-Type": "application/merge-patch+json",
        },
    )


def test_the_cli_prints_a_token_once_and_keeps_only_its_hash(app, db, runner, planned):
    case, members = planned
    result = runner.invoke(
        args=[
            "tokens",
            "create",
            "--user",
            members["sam"].user.email,
            "--scope",
            "read:plans",
            "--name",
            "Case system",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("cg_") and len(secret) > 40
    stored = db.session.query(ApiToken).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored.__dict__)
    listed = runner.invoke(args=["tokens", "list"]).output
    assert "Case system" in listed and "active" in listed and secret not in listed
    bad = runner.invoke(
        args=["tokens", "create", "--user", "x@y.z", "--scope", "read:all", "--name", "n"]
    )
    assert bad.exit_code != 0


def test_a_token_does_only_what_its_scopes_allow(app, db, client, planned):
    case, members = planned
    client.post("/sign-out")
    _, secret = tokens.create(members["sam"].user, "Reader", ["read:plans"])
    plan = client.get(f"/api/v1/cases/{case.id}/plan", headers=_bearer(secret))
    assert plan.status_code == 200 and plan.get_json()["aims"]
    patch = _patch_plan(client, case, secret, plan.headers["ETag"], {"aims": "x"})
    assert patch.status_code == 403 and patch.get_json()["error"] == "insufficient_scope"
    assert client.get("/api/v1/cases", headers=_bearer(secret)).status_code == 403
    assert client.get("/api/v1/export.ndjson", headers=_bearer(secret)).status_code == 403
    _, writer = tokens.create(members["sam"].user, "Writer", ["read:plans", "write:plans"])
    patch = _patch_plan(
        client, case, writer, plan.headers["ETag"], {"aims": "Changed by the case system."}
    )
    assert patch.status_code == 200  # no CSRF token: a bearer call carries no cookies
    targets = [e.target for e in db.session.query(AuditEvent).filter_by(case_id=case.id)]
    assert any("(token" in t and t.startswith("PATCH") for t in targets)


def test_a_token_follows_the_same_case_rules_as_its_person(app, db, client, planned):
    case, members = planned
    client.post("/sign-out")
    outsider = make_user(name="Other Authority")
    make_member(make_case(), outsider)
    _, secret = tokens.create(outsider, "Elsewhere", ["read:plans", "read:cases"])
    assert client.get(f"/api/v1/cases/{case.id}/plan", headers=_bearer(secret)).status_code == 404
    _, parent = tokens.create(members["layla"].user, "Parent app", ["read:plans", "export"])
    family_view = client.get(f"/api/v1/cases/{case.id}/plan", headers=_bearer(parent)).get_json()
    assert "professionalNotes" not in family_view
    assert client.get(f"/api/v1/cases/{case.id}/export", headers=_bearer(parent)).status_code == 404


def test_expired_revoked_or_disabled_tokens_do_not_work(app, db, client, runner, planned):
    case, members = planned
    client.post("/sign-out")
    url = f"/api/v1/cases/{case.id}/plan"
    token, secret = tokens.create(members["sam"].user, "Old", ["read:plans"])
    assert client.get(url, headers=_bearer(secret)).status_code == 200
    token.expires_at = dt.datetime(2020, 1, 1)
    db.session.commit()
    assert client.get(url, headers=_bearer(secret)).status_code == 401
    token, secret = tokens.create(members["sam"].user, "Revoked", ["read:plans"])
    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code == 0
    assert client.get(url, headers=_bearer(secret)).status_code == 401
    token, secret = tokens.create(members["sam"].user, "Disabled", ["read:plans"])
    members["sam"].user.active = False
    db.session.commit()
    assert client.get(url, headers=_bearer(secret)).status_code == 401
    assert client.get(url, headers=_bearer("cg_not-a-token")).status_code == 401


def test_tokens_open_no_page_and_a_bearer_header_never_borrows_a_cookie(app, db, client, planned):
    case, members = planned
    _, secret = tokens.create(members["sam"].user, "Pages", ["read:plans", "read:cases"])
    client.post("/sign-out")
    page = client.get(f"/cases/{case.id}", headers=_bearer(secret))
    assert page.status_code == 302  # to the sign-in page: tokens are for the API only
    from tests.conftest import sign_in

    sign_in(client, members["sam"].user)  # a browser session cookie...
    response = client.get(f"/api/v1/cases/{case.id}/plan", headers=_bearer("cg_wrong"))
    assert response.status_code == 401  # ...is not used when a bearer token is sent


def test_a_cookie_session_still_needs_csrf_for_api_changes(app, db, client, planned):
    case, _ = planned
    app.config["WTF_CSRF_ENABLED"] = True
    plan = client.get(f"/api/v1/cases/{case.id}/plan")
    response = client.patch(
        f"/api/v1/cases/{case.id}/plan",
        json={"aims": "x"},
        headers={"If-Match": plan.headers["ETag"], "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 400
