"""The plan page to read: rendered afresh for each request (no per-process cache of pages or
their parts), never stale, never showing one reader what another may see."""

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


def test_the_summary_is_built_for_each_request_and_a_new_version_shows_at_once(
    client, planned, monkeypatch
):
    case, _ = planned
    builds = _summary_builds(monkeypatch)
    url = f"/cases/{case.id}/plan/read"
    first = client.get(url).text
    assert client.get(url).text.count("govuk-summary-list") == first.count("govuk-summary-list")
    assert len(builds) == 2  # nothing kept between requests
    client.post(f"/cases/{case.id}/plan/aims/aims", data={"aims": "Home by the summer"})
    client.post(f"/cases/{case.id}/plan/save")
    assert "Home by the summer" in client.get(url).text
    assert len(builds) == 3


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
