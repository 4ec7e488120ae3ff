"""The served GOV.UK Frontend assets match the macros that render the markup, with our branding."""

import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import page

DIST = Path(__file__).resolve().parent.parent / "coregroup" / "static" / "dist"
# govuk-frontend-jinja's major version -> the GOV.UK Frontend major release its macros target.
JINJA_TARGETS = {4: 6}
RELEASE = (
    Path(__file__).resolve().parent.parent / "node_modules" / "govuk-frontend" / "dist" / "govuk"
)


@pytest.fixture(scope="module")
def css():
    return (DIST / "app.css").read_text()


def test_assets_are_built_from_the_release_the_macros_target(css):
    npm = json.loads((DIST / "govuk-frontend-package.json").read_text())["version"]
    jinja_major = int(version("govuk-frontend-jinja").split(".")[0])
    assert int(npm.split(".")[0]) == JINJA_TARGETS[jinja_major]
    assert f'--govuk-frontend-version: "{npm}"' in css
    assert f'version="{npm}"' in (DIST / "govuk-frontend.min.js").read_text()


def test_no_gds_transport_font_and_no_crown(css, client, planned):
    assert "GDS Transport" not in css and "@font-face" not in css
    case, _ = planned
    html = client.get(f"/cases/{case.id}/plan").text
    assert "govuk-header__logo" not in html and "GOV.UK" not in html
    assert "Crown copyright" not in html


def test_every_govuk_class_in_the_markup_is_styled_by_the_served_css(css, client, planned):
    case, _ = planned
    urls = [
        f"/cases/{case.id}",
        f"/cases/{case.id}/plan",
        f"/cases/{case.id}/plan/needs",
        f"/cases/{case.id}/plan/needs/need-health/side",
        f"/cases/{case.id}/plan/needs/need-health/actions/act-review/who",
        f"/cases/{case.id}/plan/needs/need-health/actions/act-review/when",
        f"/cases/{case.id}/plan/schedule/frequency",
        f"/cases/{case.id}/plan/needs/need-health/remove",
        f"/cases/{case.id}/plan/check",
        f"/cases/{case.id}/plan/versions",
        f"/cases/{case.id}/plan/versions/1",
        "/no-such-page",
        "/rules?jurisdiction=england&conference=2026-01-05",
        "/dashboard",
        f"/cases/{case.id}/members",
        f"/cases/{case.id}/meetings",
    ]
    client.post(f"/cases/{case.id}/meetings", data={"kind": "last-before-review"})
    urls += [
        f"/cases/{case.id}/meetings/1",
        f"/cases/{case.id}/meetings/1/scaling",
        f"/cases/{case.id}/meetings/1/check",
        f"/cases/{case.id}/meetings/1/minutes",
        f"/cases/{case.id}/meetings/1/contingency/evidence",
    ]
    used = set()
    for url in urls:
        for tag in page(client.get(url)).select("[class]"):
            used.update(c for c in tag["class"] if c.startswith("govuk-"))
    errors = client.post(
        f"/cases/{case.id}/plan/schedule/frequency", data={"schedule__coreGroupEveryWeeks": "x"}
    )
    for tag in page(errors).select("[class]"):
        used.update(c for c in tag["class"] if c.startswith("govuk-"))
    styled = {c.replace("\\", "") for c in re.findall(r"\.(govuk-(?:\\!|[\w-])+)", css)}
    # Structural classes without a style of their own must at least be the release's own markup.
    release_markup = " ".join(
        p.read_text()
        for p in [*RELEASE.glob("components/*/template.njk"), RELEASE / "template.njk"]
    )
    release_classes = set(re.findall(r"govuk-[\w-]+", release_markup))
    missing = sorted(used - styled - release_classes - {"govuk-frontend-supported"})
    assert not missing, f"classes that the served GOV.UK Frontend release does not know: {missing}"
