"""Generated text to every form and every JSON route, as each role, on either database: no 5xx,
and afterwards every page of the case still renders.

The text includes lone surrogates, NUL and other control characters, right-to-left marks,
combining characters, emoji, 10,000-character strings; the JSON includes deep nesting and huge
bodies. Bounded by count (fixed seed), so the run takes about a minute per database.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coregroup.meetings import services as meetings
from tests.conftest import make_member, make_user, sign_in

NASTY = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x07\x1b\x7f",
    "\u200f\u202e right-to-left \u202c",
    "e\u0301\u0308\u0327",
    "👩‍👩‍👧‍👦🏳️‍🌈",
    "ক্\u200dষ می\u200cخواهم",
    "x" * 10_000,
    "\r\n\t",
    " ",
    "",
    "<script>alert(1)</script>",
    "{{ 7*7 }} %(name)s %s",
    "9" * 400,
    "-1",
    "2147483648",
    "../../etc/passwd",
    "javascript:alert(1)",
]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=30),
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
NASTY_BODIES = [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    '{"aims": "' + "x" * 900_000 + '"}',
    '{"aims": "\\ud800"}',
    '{"aims": "\\u0000"}',
    '{"\\ud800": 1}',
    "{",
    "",
    "null",
    "[]",
    '"just a string"',
    "1" * 5000,
    '{"aims": NaN}',
    '{"views": "x", "base": 1e999}',
    '{"views": "x", "base": true}',
    '{"aims": 1, "aims": 2}',
]
SETTINGS = settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
# Pages that end the fuzzing person's own session or membership are asked last.
LAST = ("/leave", "/sign-out")


@pytest.fixture
def everyone(planned, db, app):
    """The planned case with a member of every role, and an open meeting."""
    case, members = planned
    members["viewer"] = make_member(
        case, make_user(name="Vic Viewer"), role="viewer", ref="m-viewer"
    )
    members["pro"] = make_member(case, make_user(name="Pat Pro"), role="teacher", ref="m-pro")
    with app.test_request_context():
        meetings.open_meeting(case)
    db.session.commit()
    return case, members


def as_person(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def crawl(client, start: list[str], limit: int = 250) -> tuple[dict[str, int], list[dict]]:
    """Every page reachable from `start` (this site, GET), with its status; and every form on
    them that posts, with its fields as the page would send them."""
    seen: dict[str, int] = {}
    forms: dict[tuple, dict] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = BeautifulSoup(response.text, "html.parser")
        for link in html.select("a[href]"):
            href = urljoin(url, link["href"])
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith(("/cases", "/dashboard", "/api/v1/cases")):
                continue
            if "/language/" in parts.path or parts.path.endswith(".ics"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        for form in html.select("form[method=post]"):
            action = urljoin(url, form.get("action") or url)
            fields: dict[str, list] = {}
            for field in form.select("input[name], textarea[name], select[name]"):
                name = field["name"]
                kind = field.get("type", field.name)
                if kind in ("radio", "checkbox"):
                    fields.setdefault(name, []).append(field.get("value", "on"))
                elif field.name == "textarea":
                    fields[name] = [field.get_text()]
                else:
                    fields[name] = [field.get("value", "")]
            forms.setdefault(
                (urlsplit(action).path, tuple(sorted(fields))),
                {
                    "action": urlsplit(action).path
                    + (f"?{urlsplit(action).query}" if urlsplit(action).query else ""),
                    "fields": fields,
                },
            )
    ordered = sorted(forms.values(), key=lambda f: f["action"].endswith(LAST))
    return seen, ordered


def start_pages(case_id: int) -> list[str]:
    return [
        "/cases",
        "/dashboard",
        f"/cases/{case_id}",
        f"/cases/{case_id}/plan",
        f"/cases/{case_id}/plan/read",
        f"/cases/{case_id}/plan/check",
        f"/cases/{case_id}/plan/versions",
        f"/cases/{case_id}/plan/translate/ar",
        f"/cases/{case_id}/meetings",
        f"/cases/{case_id}/meetings/1",
        f"/cases/{case_id}/members",
        "/cases/new",
    ]


def fuzz_form(client, form: dict, failures: list) -> None:
    names = sorted(form["fields"])

    @SETTINGS
    @given(
        st.fixed_dictionaries(
            {n: st.one_of(TEXT, st.sampled_from(form["fields"][n])) for n in names}
        )
    )
    def post(values):
        data = {name: value for name, value in values.items() if name != "csrf_token"}
        # Sent as bytes, as any client could: a lone surrogate is not even valid UTF-8.
        body = urlencode(data, encoding="utf-8", errors="surrogatepass")
        response = client.post(
            form["action"],
            data=body,
            content_type="application/x-www-form-urlencoded",
        )
        if response.status_code >= 500:
            failures.append((form["action"], response.status_code, data))

    post()


def fuzz_json(client, method: str, url: str, content_type: str, headers, failures) -> None:
    def send(body: str):
        response = client.open(
            url,
            method=method,
            data=body.encode("utf-8", "surrogatepass"),
            headers={"Content-Type": content_type, **headers()},
        )
        if response.status_code >= 500 or not response.is_json:
            failures.append((method, url, response.status_code, body[:80]))

    for body in NASTY_BODIES:
        send(body)

    @SETTINGS
    @given(JSON_VALUES)
    def generated(value):
        send(json.dumps(value, ensure_ascii=False))

    generated()


@pytest.mark.parametrize("who", ["sam", "pro", "layla", "viewer"])
def test_no_input_from_any_role_is_a_server_error(app, db, everyone, who):
    case, members = everyone
    client = as_person(app, members[who].user)
    seen, forms = crawl(client, start_pages(case.id))
    assert not [u for u, status in seen.items() if status >= 500]
    assert forms, "the crawl found forms to fuzz"
    failures: list = []
    for form in forms:
        fuzz_form(client, form, failures)
    client = as_person(app, members[who].user)  # the last forms may have signed them out
    etag = lambda: {  # noqa: E731 - asked afresh for each body
        "If-Match": client.get(f"/api/v1/cases/{case.id}/plan").headers.get("ETag", "")
    }
    none = lambda: {}  # noqa: E731
    fuzz_json(
        client,
        "PATCH",
        f"/api/v1/cases/{case.id}/plan",
        "application/merge-patch+json",
        etag,
        failures,
    )
    fuzz_json(
        client,
        "PATCH",
        f"/api/v1/cases/{case.id}/plan",
        "application/json-patch+json",
        etag,
        failures,
    )
    fuzz_json(client, "POST", "/api/v1/cases/import", "application/json", none, failures)
    if who == "layla":
        fuzz_json(
            client, "POST", f"/cases/{case.id}/plan/views", "application/json", none, failures
        )
    assert not failures, failures[:3]
    # Afterwards every page of the case still renders, for everyone who may see it.
    for person in ("sam", "layla", "viewer"):
        if person == who and who != "sam":
            continue
        reader = as_person(app, members[person].user)
        seen, _forms = crawl(reader, start_pages(case.id))
        broken = [u for u, status in seen.items() if status >= 500]
        assert not broken, (person, broken[:5])
