"""The plan page to read: rendered once per version and reader, never stale, never shared
between readers who may see different things."""

from coregroup.models import Member
from coregroup.plans import views
from tests.conftest import page, sign_in


def _summary_builds(monkeypatch) -> list:
    builds = []
    original = views._read_summary

    def counted(*args):
        builds.append(args)
        return original(*args)

    monkeypatch.setattr(views, "_read_summary", counted)
    return builds


def test_the_summary_is_built_once_and_rebuilt_for_a_new_version(client, planned, monkeypatch):
    case, _ = planned
    builds = _summary_builds(monkeypatch)
    url = f"/cases/{case.id}/plan/read"
    first = client.get(url).text
    assert client.get(url).text.count("govuk-summary-list") == first.count("govuk-summary-list")
    assert len(builds) == 1
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Home by the summer"})
    client.post(f"/cases/{case.id}/plan/save")
    assert "Home by the summer" in client.get(url).text
    assert len(builds) == 2


def test_a_renamed_member_and_another_language_are_shown_at_once(client, planned, db):
    case, members = planned
    url = f"/cases/{case.id}/plan/read"
    assert "Owen (" in client.get(url).text
    db.session.get(Member, members["owen"].id).name = "Owen Renamed"
    db.session.commit()
    assert "Owen Renamed (" in client.get(url).text
    welsh = page(client.get(url + "?lang=cy"))
    assert "Not answered yet" not in welsh.text and welsh.select("dl.govuk-summary-list")


def test_one_parent_never_sees_the_page_built_for_another(client, planned, db):
    case, members = planned
    from coregroup.plans import services

    document = dict(services.latest_version(case).document)
    document["familyViews"] = {
        "m-layla": {"views": "Words of Layla"},
        "m-daniel": {"views": "Words of Daniel"},
    }
    services.write_version(case, members["sam"].user, document)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    assert "Words of Layla" in client.get(f"/cases/{case.id}/plan/read").text
    client.post("/sign-out")
    sign_in(client, members["daniel"].user)
    text = client.get(f"/cases/{case.id}/plan/read").text
    assert "Words of Daniel" in text and "Words of Layla" not in text


def _templates_rendered(app) -> list:
    from flask import template_rendered

    rendered = []
    template_rendered.connect(lambda sender, template, context, **_: rendered.append(template))
    return rendered


def test_the_whole_page_is_kept_with_a_fresh_token_and_nonce_each_time(client, planned, app):
    case, _ = planned
    url = f"/cases/{case.id}/plan/read"
    client.get(url)
    rendered = _templates_rendered(app)
    first, second = client.get(url), client.get(url)
    assert rendered == []  # both came from the kept page: nothing rendered
    for response in (first, second):
        nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        html = page(response)
        assert {s["nonce"] for s in html.select("script[nonce]")} == {nonce}
        token = html.select_one("meta[name=csrf-token]")["content"]
        assert {i["value"] for i in html.select("input[name=csrf_token]")} == {token}
    assert "cgnonce" not in first.text and "cgcsrf" not in first.text
    assert first.headers["Content-Security-Policy"] != second.headers["Content-Security-Policy"]
    # The token put into the kept page is this session's: a form sent with it is accepted,
    # and one sent without it is refused.
    app.config["WTF_CSRF_ENABLED"] = True
    token = page(second).select_one("meta[name=csrf-token]")["content"]
    target = f"/cases/{case.id}/plan/aims/aims"
    assert client.post(target, data={"aims": "No token"}).status_code == 400
    sent = client.post(target, data={"aims": "Kept page token", "csrf_token": token})
    assert sent.status_code == 302


def _signings(monkeypatch) -> list:
    """Every CSRF token Flask-WTF signs."""
    from flask_wtf import csrf

    signed = []

    class Counted(csrf.URLSafeTimedSerializer):
        def dumps(self, obj, salt=None):
            signed.append(obj)
            return super().dumps(obj, salt)

    monkeypatch.setattr(csrf, "URLSafeTimedSerializer", Counted)
    return signed


def test_a_kept_page_reuses_its_sessions_signed_token_and_no_other(
    client, planned, app, monkeypatch
):
    case, members = planned
    other = app.test_client()  # another session, even the same person's
    sign_in(other, members["sam"].user)
    app.config["WTF_CSRF_ENABLED"] = True
    url, target = f"/cases/{case.id}/plan/read", f"/cases/{case.id}/plan/aims/aims"
    client.get(url)
    signed = _signings(monkeypatch)

    def token(response):
        return page(response).select_one("meta[name=csrf-token]")["content"]

    first, second = token(client.get(url)), token(client.get(url))
    assert first == second and signed == []  # signed once, within the last minute

    # Another session has its own secret and so its own token.
    theirs = token(other.get(url))
    assert theirs != first and len(signed) == 1
    assert (
        other.post(target, data={"aims": "Wrong session", "csrf_token": first}).status_code == 400
    )
    assert (
        client.post(target, data={"aims": "Right session", "csrf_token": first}).status_code == 302
    )

    # Tokens that expire are signed afresh for every page, so their time is always their own.
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    before = len(signed)
    client.get(url)
    client.get(url)
    assert len(signed) == before + 2


def test_a_message_shown_once_is_never_kept_in_the_page(client, planned):
    case, members = planned
    client.post("/sign-out")
    sign_in(client, members["layla"].user)
    url = f"/cases/{case.id}/plan/read"
    client.get(url)  # the page is kept
    client.post(f"/cases/{case.id}/plan/views", data={"views": "Thank you all", "base": 1})
    thanked = client.get(url).text
    assert "Your views are saved in the plan." in thanked and "Thank you all" in thanked
    assert "Your views are saved in the plan." not in client.get(url).text


def test_many_kept_pages_never_push_out_the_summary(client, planned, monkeypatch, app):
    """Pages turn over (one per reader, address and minute); the summary, dear to build and
    shared by every reader of the version, stays."""
    from flask import g

    from coregroup import fragments

    case, _ = planned
    builds = _summary_builds(monkeypatch)
    url = f"/cases/{case.id}/plan/read"
    client.get(url)
    with app.test_request_context():
        g.csp_nonce = "a nonce"
        for n in range(300):  # more pages than are kept
            fragments.cached_page(("someone else's page", n), lambda: "<p>a page</p>")
    client.get(url + "?from=elsewhere")  # a page not kept: rendered again, from the summary
    assert len(builds) == 1


def test_the_task_list_is_built_once_per_content_and_follows_every_edit(
    client, planned, monkeypatch
):
    """The professional's task list (sections, answers, states) is kept by the content of the
    document they are working on: an edit to their draft shows at once."""
    from coregroup.plans.presenters import PlanReader

    case, _ = planned
    built = []
    original = PlanReader.sections

    def counted(self, *args, **kwargs):
        built.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PlanReader, "sections", counted)
    url = f"/cases/{case.id}/plan"
    first = client.get(url).text
    assert client.get(url).text.count("govuk-task-list__item") == first.count(
        "govuk-task-list__item"
    )
    assert len(built) == 1
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Home by the summer"})
    assert client.get(url).status_code == 200
    assert len(built) == 2  # the draft changed: built again from what it holds now
    client.get(url)
    assert len(built) == 2


def test_a_kept_page_is_served_without_building_the_member_or_the_case(client, planned, db, app):
    """The person, their session and their membership are checked on every request (plain
    rows); the ORM person, member and case are loaded only when a page has to be rendered
    (auth.SignedIn, access.RequestGlobals)."""
    import pytest
    from flask import g
    from sqlalchemy import event

    from coregroup.models import Case, User

    case, members = planned
    url = f"/cases/{case.id}/plan/read"
    sign_in(client, members["layla"].user)
    assert client.get(url).status_code == 200  # rendered, and kept
    built = []
    for model in (Member, Case, User):
        event.listen(model, "load", lambda target, context: built.append(type(target)))
    db.session.remove()  # nothing already in memory from earlier requests
    again = client.get(url)
    assert again.status_code == 200 and "Layla" in again.text
    assert built == []
    # Rendering a page still has them, loaded when first used.
    assert client.get(f"{url}?fresh=1").status_code == 200
    assert set(built) == {Member, Case}
    with app.app_context():  # a new one (the tests hold one open), with its own `g`
        assert "member" not in g
        with pytest.raises(AttributeError):
            g.member  # noqa: B018 - not a case page: there is no member
