"""A whole case out and in again without loss: a property test over cases generated from the
JSON Schemas (hypothesis-jsonschema), and imports refused whole, with every error named."""

import copy
import datetime as dt
import itertools
import json
import uuid

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from stdnum.gb import nhs

from coregroup import textpolicy
from coregroup.api import interchange
from coregroup.models import Case
from coregroup.schema import SchemaRegistry
from tests.conftest import make_user, sign_in
from tests.factories import moved_copy

SCHEMAS = SchemaRegistry()
ROLES = ["parent", "carer", "child", "social-worker", "teacher", "gp", "viewer"]
_unique = itertools.count(1)


def _without_extensions(node):
    """The schema as hypothesis-jsonschema reads it: our x- keywords are for the form builder."""
    if isinstance(node, dict):
        return {k: _without_extensions(v) for k, v in node.items() if not k.startswith("x-")}
    if isinstance(node, list):
        return [_without_extensions(v) for v in node]
    return node


# Real NHS numbers (their check digit right), a different one for each child of a case.
NHS_NUMBERS = [f"{n}" for n in range(4010232100, 4010240000) if nhs.is_valid(f"{n}")][:25]


def _unique_ids(node):
    """Items of a list with the same id made different: a plan's items merge by id, so a plan
    that repeats one is refused (coregroup.plans.services.duplicate_ids)."""
    if isinstance(node, dict):
        for value in node.values():
            _unique_ids(value)
    elif isinstance(node, list):
        seen = set()
        for n, item in enumerate(node):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                base, k = item["id"][:30], n
                while item["id"] in seen:
                    item["id"], k = f"{base}-{k}", k + 1
                seen.add(item["id"])
            _unique_ids(item)
    return node


# Text the policy refuses made acceptable (each refused character as U+FFFD, as a stored value
# is read back): what it refuses is tested on its own, and a generated case thrown away for one
# such character costs a whole new case (most of them were, and the test took minutes).
PLANS = (
    from_schema(_without_extensions(SCHEMAS["child-protection-plan"].raw))
    .map(_unique_ids)
    .map(textpolicy.scrub)
)
RECORDS = from_schema(_without_extensions(SCHEMAS["core-group-meeting"].raw)).map(textpolicy.scrub)
# Text the policy accepts (what it refuses is tested on its own, in tests/test_text_policy.py).
ACCEPTED_CONTROLS = "\t\n\r"
TEXT = st.text(
    st.characters(
        exclude_categories=("Cs",),
        exclude_characters="".join(chr(c) for c in range(32) if chr(c) not in ACCEPTED_CONTROLS),
    ),
    max_size=30,
)
DATES = st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(str))
PAST_DATES = st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2025, 12, 31)).map(str))
TIMES = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)).map(
    lambda t: t.replace(tzinfo=dt.UTC).isoformat(timespec="microseconds")
)  # RFC 3339 with its offset; this service writes UTC


def _refused_text(node) -> bool:
    return textpolicy.stored_problem(node) is not None  # refused on import: tested below


@st.composite
def case_exports(draw, importer_email: str):
    n = next(_unique)
    refs = [f"m-{n}x{i}" for i in range(draw(st.integers(1, 4)))]
    members = [
        {
            "id": ref,
            "name": draw(TEXT.filter(str.strip)),
            "role": "lead-social-worker" if i == 0 else draw(st.sampled_from(ROLES)),
            "organisation": draw(st.one_of(st.none(), TEXT)),
            "email": importer_email if i == 0 else draw(st.one_of(st.none(), TEXT)),
            "phone": draw(st.one_of(st.none(), TEXT)),
            "address": draw(st.one_of(st.none(), TEXT)),
            "confidential": draw(st.booleans()),
            "language": draw(st.one_of(st.none(), st.sampled_from(["en_GB", "ar", "pl"]))),
            # The importer (the lead) is a member already, so they can export it again.
            "joined": draw(PAST_DATES) if i == 0 else draw(DATES),
            "left": None if i == 0 else draw(DATES),
            "coOpted": draw(st.booleans()),
        }
        for i, ref in enumerate(refs)
    ]
    someone = st.one_of(st.none(), st.sampled_from(refs))
    documents = draw(st.lists(PLANS, max_size=2))
    versions = [
        {
            "number": i + 1,
            "createdAt": draw(TIMES),
            "author": draw(someone),
            "schemaVersion": SCHEMAS["child-protection-plan"].version,
            "note": draw(st.one_of(st.none(), TEXT)),
            "changes": draw(
                st.lists(st.fixed_dictionaries({"op": TEXT, "path": TEXT}), max_size=2)
            ),
            "document": document,
        }
        for i, document in enumerate(documents)
    ]
    numbers = (
        st.one_of(st.none(), st.sampled_from([v["number"] for v in versions]))
        if versions
        else st.none()
    )
    meetings = [
        {
            "number": i + 1,
            "kind": draw(TEXT.filter(str.strip).map(lambda t: t[:30])),
            "status": draw(st.sampled_from(["open", "completed"])),
            "record": record,
            "reviewedPlanVersion": draw(numbers),
            "planVersion": draw(numbers),
            "createdAt": draw(TIMES),
            "completedAt": draw(st.one_of(st.none(), TIMES)),
            "completedBy": draw(someone),
            "circulations": [
                {
                    "member": draw(st.sampled_from(refs)),
                    "method": draw(st.sampled_from(["email", "by hand", "post", "in-app"])),
                    "address": draw(st.one_of(st.none(), TEXT)),
                    "sentAt": draw(TIMES),
                    "sentBy": draw(someone),
                    "error": draw(st.one_of(st.none(), TEXT)),
                    "receivedAt": draw(st.one_of(st.none(), TIMES)),
                    "agrees": draw(st.one_of(st.none(), st.booleans())),
                    "disagreement": draw(st.one_of(st.none(), TEXT)),
                }
                for _ in range(draw(st.integers(0, 2)))
            ],
        }
        for i, record in enumerate(draw(st.lists(RECORDS, max_size=2)))
    ]
    family = [m["id"] for m in members if m["role"] in ("parent", "carer", "child")]
    children = []
    for c in range(draw(st.integers(0, 3))):
        plans = []
        start = draw(st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)))
        for number in range(1, draw(st.integers(1, 3)) + 1):
            categories = draw(
                st.lists(st.sampled_from(["physical", "neglect", "sexual"]), unique=True)
            )
            ended = start + dt.timedelta(days=draw(st.integers(0, 400)))
            last = number == 3 or draw(st.booleans())
            plans.append(
                {
                    "number": number,
                    "categories": categories,
                    "initialCategories": categories[:1],
                    "startedOn": start.isoformat(),
                    "endedOn": None if last else ended.isoformat(),
                    "endReason": None if last else "no-longer-at-risk",
                    "endNote": None if last else draw(st.one_of(st.none(), TEXT)),
                    "endedBy": None,
                }
            )
            if last:
                break
            start = ended + dt.timedelta(days=draw(st.integers(0, 400)))
        children.append(
            {
                "id": f"c-{n}x{c}",
                "name": draw(TEXT.filter(str.strip)),
                "dateOfBirth": draw(DATES),
                "expectedOn": draw(DATES),
                "addedOn": draw(DATES),
                "nhsNumber": draw(st.sampled_from([None, NHS_NUMBERS[c]])),  # each child's own
                "localId": draw(st.none() | st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True)),
                "family": draw(st.lists(st.sampled_from(family), unique=True)) if family else [],
                "plans": plans,
                "previousPlans": sum(1 for p in plans if p["endedOn"]),
            }
        )
    held = sorted(  # conferences are numbered in the order they were held
        draw(st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), max_size=2))
    )
    reviews = [
        {
            "number": k + 1,
            "heldOn": held[k].isoformat(),
            "chair": draw(st.one_of(st.none(), TEXT)),
            "outcomes": {
                c["id"]: {"outcome": "continue", "plan": 1, "categories": ["neglect"]}
                for c in children[:1]
            },
            "nextReviewOn": None,
            "recordedAt": draw(TIMES),
        }
        for k in range(len(held))
    ]
    return {
        "format": interchange.FORMAT,
        "case": {
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"import-{n}")),
            "reference": f"IMPORT-{n}",
            "jurisdiction": draw(st.sampled_from(["guernsey", "england", "wales", "scotland"])),
            "status": "open",
            "closedOn": None,
            "initialConference": draw(DATES),
            "firstCoreGroupOn": draw(DATES),
            "coreGroupEveryWeeks": draw(st.one_of(st.none(), st.integers(1, 52))),
            "ruleOverrides": None,
            "createdAt": draw(TIMES),
        },
        "children": children,
        "reviewConferences": reviews,
        "conferenceRequests": [
            {
                "requestedOn": draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 1, 1))).isoformat(),
                "meeting": None,
                "reason": draw(st.one_of(st.none(), TEXT)),
                "answeredBy": draw(st.sampled_from([None, *range(1, len(reviews) + 1)])),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "arrangedMeetings": [],
        "members": members,
        "planVersions": versions,
        "meetings": meetings,
    }


def _canonical(body) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def test_export_import_export_gives_the_same_json_for_any_valid_case(app, db, client):
    importer = make_user(email="importer@example.test", name="Ima Porter")
    sign_in(client, importer)

    @settings(
        max_examples=6,  # bounded: generating a whole case from the schemas takes seconds each
        derandomize=True,  # a fixed seed: the same cases on every run
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case_exports("importer@example.test"))
    def round_trip(exported):
        assume(not _refused_text(exported))
        assert interchange.check(exported) == []
        imported = client.post("/api/v1/cases/import", json=exported)
        assert imported.status_code == 201, imported.get_json()
        again = client.get(f"/api/v1/cases/{imported.get_json()['id']}/export")
        # Text comes back as it was sent, in Unicode's composed form (NFC).
        assert _canonical(again.get_json()) == _canonical(textpolicy.clean(exported))

    round_trip()


def test_a_demo_case_comes_back_identical(app, db, client, planned):
    case, members = planned
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    # Another case: its reference, uid, members' and children's ids changed; the account that
    # imports it is its first member's.
    moved = moved_copy(exported, "moved", members["sam"].user.email)
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 201, response.get_json()
    back = client.get(f"/api/v1/cases/{response.get_json()['id']}/export").get_json()
    assert _canonical(back) == _canonical(moved)
    assert back["planVersions"][0]["author"] == "m-sammoved"


def test_an_invalid_export_names_every_error_and_writes_nothing(app, db, client, planned):
    case, members = planned
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    exported["members"][0]["email"] = members["sam"].user.email
    broken = copy.deepcopy(exported)
    broken["case"]["reference"] = "BROKEN-1"
    broken["case"]["jurisdiction"] = "atlantis"
    broken["members"][0]["role"] = "wizard"
    broken["planVersions"][0]["document"]["aims"] = 42
    broken["planVersions"][0]["author"] = "m-nobody"
    before = db.session.query(Case).count()
    response = client.post("/api/v1/cases/import", json=broken)
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.get_json()["errors"]}
    assert {"/case/jurisdiction", "/members/0/role"} <= pointers
    assert all(e["message"] for e in response.get_json()["errors"])
    assert db.session.query(Case).count() == before
    broken = copy.deepcopy(exported)
    broken["case"]["reference"] = "BROKEN-2"
    broken["planVersions"][0]["document"]["aims"] = 42
    broken["planVersions"][0]["author"] = "m-nobody"
    pointers = {
        e["pointer"] for e in client.post("/api/v1/cases/import", json=broken).get_json()["errors"]
    }
    assert {"/planVersions/0/document/aims", "/planVersions/0/author"} <= pointers
    nul = copy.deepcopy(exported)
    nul["children"][0]["name"] = "A\x00B"
    response = client.post("/api/v1/cases/import", json=nul)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/children/0/name"
    assert client.post("/api/v1/cases/import", json=exported).status_code == 409  # already here
    assert client.post("/api/v1/cases/import", data="{").status_code == 415
    assert db.session.query(Case).count() == before


def test_the_bulk_export_streams_one_case_per_line(app, db, client, planned):
    case, _ = planned
    response = client.get("/api/v1/export.ndjson")
    assert response.mimetype == "application/x-ndjson" and response.is_streamed
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line)["case"]["reference"] for line in lines] == [case.reference]


def _movable(client, case, members, reference):
    """The planned case's export, renamed so that it can be imported beside the original."""
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    moved = moved_copy(exported, reference.lower()[-1], members["sam"].user.email)
    moved["case"]["reference"] = reference
    return moved


def test_only_a_professional_member_imports_and_nobody_else_is_linked(app, db, client, planned):
    from coregroup.models import AuditEvent

    case, members = planned
    moved = _movable(client, case, members, "MOVED-A")
    parent_copy = _movable(client, case, members, "MOVED-B")
    moved["members"][1]["email"] = members["priya"].user.email  # someone else's account
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 201
    new_id = response.get_json()["id"]
    client.post("/sign-out")
    sign_in(client, members["priya"].user)
    listed = [c["id"] for c in client.get("/api/v1/cases").get_json()["cases"]]
    assert new_id not in listed  # not added to a case unawares: invite them from the case
    client.post("/sign-out")
    sign_in(client, members["layla"].user)  # a parent's account
    parent_copy["members"][0]["email"] = members["layla"].user.email
    refused = client.post("/api/v1/cases/import", json=parent_copy)
    assert refused.status_code == 403
    events = {e.action: e for e in db.session.query(AuditEvent)}
    assert events["import"].case_id == new_id and "import-refused" in events


def test_dates_that_are_not_real_are_named_not_a_500(app, db, client, planned):
    case, members = planned
    moved = _movable(client, case, members, "MOVED-C")
    moved["members"][0]["joined"] = "2024-13-45"
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/members/0/joined"
    moved["members"][0]["joined"] = None
    moved["case"]["createdAt"] = "2024-02-30T25:61:61.000000+00:00"  # the right shape, not a time
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/case/createdAt"


def test_an_export_from_an_installation_not_yet_upgraded_is_imported_and_recognised(
    app, db, client, planned
):
    """A 1.0.0 export (one set of categories for the case, a review date only) is upgraded as
    it is read: each child gets a plan with those categories, the review date becomes a review
    conference, and importing the same file twice is refused."""
    case, members = planned
    exported = moved_copy(
        client.get(f"/api/v1/cases/{case.id}/export").get_json(), "old", members["sam"].user.email
    )
    old = copy.deepcopy(exported)
    old["format"] = interchange.FORMAT_1_0
    for key in ("uid", "closedOn"):
        del old["case"][key]
    old["case"]["categories"] = ["neglect", "physical"]
    old["case"]["lastReviewConference"] = "2026-12-01"
    old["children"] = [
        {"name": c["name"], "dateOfBirth": c["dateOfBirth"]} for c in old["children"]
    ]
    del old["reviewConferences"], old["conferenceRequests"], old["arrangedMeetings"]
    old = json.loads(json.dumps(old).replace('+00:00"', '"'))  # 1.0.0 times had no offset
    assert interchange.check(old) == []
    response = client.post("/api/v1/cases/import", json=old)
    assert response.status_code == 201, response.get_json()
    back = client.get(f"/api/v1/cases/{response.get_json()['id']}/export").get_json()
    assert back["format"] == interchange.FORMAT
    assert [c["plans"][0]["categories"] for c in back["children"]] == [["neglect", "physical"]]
    assert back["reviewConferences"][0]["heldOn"] == "2026-12-01"
    again = client.post("/api/v1/cases/import", json=old)
    assert again.status_code == 409 and again.get_json()["errors"][0]["pointer"] == "/case/uid"


def test_an_import_with_plans_out_of_order_names_each_problem(app, db, client, planned):
    case, members = planned
    moved = moved_copy(
        client.get(f"/api/v1/cases/{case.id}/export").get_json(), "bad", members["sam"].user.email
    )
    moved["children"][0]["previousPlans"] = 5  # not what the plans say
    plan = moved["children"][0]["plans"][0]
    plan["endedOn"] = "2000-01-01"  # before it started
    moved["children"][0]["plans"].append(dict(plan, number=2, endedOn=None))
    moved["children"][0]["plans"][0]["endedOn"] = None  # two running plans
    moved["reviewConferences"] = [
        {
            "number": 1,
            "heldOn": "2026-12-01",
            "outcomes": {"c-nobody": {"outcome": "end"}},
            "recordedAt": "2026-12-01T10:00:00.000000+00:00",
        },
        {  # numbered after the first, held before it
            "number": 2,
            "heldOn": "2026-11-20",
            "outcomes": {},
            "recordedAt": "2026-12-01T10:00:00.000000+00:00",
        },
    ]
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.get_json()["errors"]}
    assert "/children/0/plans/0/endedOn" in pointers
    assert "/reviewConferences/0/outcomes/c-nobody" in pointers
    assert "/reviewConferences/1/heldOn" in pointers
    assert "/children/0/previousPlans" in pointers
    moved["children"][0]["plans"] = [dict(plan, number=1, endedOn="2000-01-01")]
    moved["children"][0]["previousPlans"] = 1
    ended_early = client.post("/api/v1/cases/import", json=moved).get_json()["errors"]
    assert any(e["code"] == "order" for e in ended_early)


def test_the_receiving_social_worker_imports_and_leads_and_nobody_else_imports(
    app, db, client, planned
):
    from coregroup.models import Member

    case, members = planned
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    moved = moved_copy(exported, "recv")
    receiver = make_user(email="new.sw@receiving.example", name="Rae Receiver")
    moved["members"].append(
        {
            "id": "m-rae",
            "name": "Rae Receiver",
            "role": "social-worker",
            "email": receiver.email,
            "organisation": "Receiving Council",
        }
    )
    gp = next(m for m in moved["members"] if m["role"] == "gp")
    gp_user = make_user(email="gp@surgery.example", name="Gee Pee")
    gp["email"] = gp_user.email
    client.post("/sign-out")
    sign_in(client, gp_user)
    refused = client.post("/api/v1/cases/import", json=moved)
    assert (
        refused.status_code == 422 and "social worker" in refused.get_json()["errors"][0]["message"]
    )
    client.post("/sign-out")
    sign_in(client, receiver)
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 201, response.get_json()
    imported = db.session.query(Member).filter_by(ref="m-rae").one()
    assert imported.role == "lead-social-worker" and imported.user_id == receiver.id
    sending = db.session.query(Member).filter_by(ref="m-samrecv").one()
    assert sending.role == "social-worker", "the sending lead stays, as a social worker"
    assert client.get(f"/cases/{imported.case_id}/children").status_code == 200


def test_a_request_dated_before_the_meeting_that_made_it_is_refused(app, db, client, planned):
    case, members = planned
    moved = moved_copy(
        client.get(f"/api/v1/cases/{case.id}/export").get_json(), "req", members["sam"].user.email
    )
    moved["meetings"] = [
        {
            "number": 1,
            "kind": "subsequent",
            "status": "completed",
            "record": {"date": "2026-12-07"},
            "createdAt": "2026-12-07T10:00:00.000000+00:00",
            "circulations": [],
        }
    ]
    moved["conferenceRequests"] = [{"requestedOn": "2020-12-01", "meeting": 1}]
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.get_json()["errors"]}
    assert "/conferenceRequests/0/requestedOn" in pointers


def test_times_are_rfc_3339_with_their_offset_and_any_offset_is_read(app, db, client, planned):
    """The export writes every time with its offset; an import at another offset is read as the
    same instant (a time without one is refused by the schema, naming it)."""
    import re

    case, members = planned
    exported = client.get(f"/api/v1/cases/{case.id}/export").get_json()
    stamp = exported["case"]["createdAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", stamp), stamp
    assert all(v["createdAt"].endswith("+00:00") for v in exported["planVersions"])
    moved = moved_copy(exported, "tz", members["sam"].user.email)
    moved["case"]["createdAt"] = "2026-11-02T11:30:00.000000+01:00"
    moved["children"][0]["nhsNumber"] = "9434765918"  # the check digit is wrong
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/children/0/nhsNumber"
    moved["children"][0]["nhsNumber"] = "9434765919"
    moved["children"][0]["localId"] = "LA42"
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 201, response.text
    again = client.get(f"/api/v1/cases/{response.get_json()['id']}/export").get_json()
    assert again["case"]["createdAt"] == "2026-11-02T10:30:00.000000+00:00"
    assert (again["children"][0]["nhsNumber"], again["children"][0]["localId"]) == (
        "9434765919",
        "LA42",
    )
    moved = moved_copy(exported, "naive", members["sam"].user.email)
    moved["case"]["createdAt"] = "2026-11-02T10:30:00.000000"
    response = client.post("/api/v1/cases/import", json=moved)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/case/createdAt"


def test_the_export_schema_refs_the_plan_and_meeting_schemas(app):
    """A plan document is checked by the export schema itself, against its own version."""
    schemas = app.extensions["coregroup.schemas"]
    raw = json.dumps(schemas["case-export"].raw)
    for name in ("child-protection-plan", "core-group-meeting"):
        assert f'"$ref": "{schemas[name].id}"' in raw


def test_an_integrator_is_told_what_was_expected(app, db, client, planned):
    case, members = planned
    moved = _movable(client, case, members, "EXPECTED")
    moved["meetings"] = []
    moved["case"]["status"] = "paused"
    moved["case"]["createdAt"] = "2026-11-02T10:30:00"
    errors = {
        e["pointer"]: e["message"]
        for e in client.post("/api/v1/cases/import", json=moved).get_json()["errors"]
    }
    assert '"open"' in errors["/case/status"] and '"closed"' in errors["/case/status"]
    assert "offset" in errors["/case/createdAt"]
