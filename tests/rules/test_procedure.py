"""The procedure's requirements read from the plan's and the meeting's content: pure
functions, each given plain data and checked against what the seeds say."""

import datetime as dt

from coregroup.rules import procedure
from tests.factories import REFS, full_plan

D = dt.date
MEMBERS = {ref: key.title() for key, ref in REFS.items()}


def rules_of(gaps):
    return {g.rule for g in gaps}


def test_a_complete_plan_has_no_gaps(app):
    with app.test_request_context():
        assert procedure.plan_gaps(full_plan(), MEMBERS) == []


def test_a_plan_holding_only_its_aims_lacks_everything_the_seeds_list(app):
    with app.test_request_context():
        gaps = procedure.plan_gaps({"aims": "Safe at home"}, MEMBERS)
    assert rules_of(gaps) == {
        "causes-of-concern",
        "what-must-change",
        "contingency",
        "contacts",
        "roles",
    }
    assert len([g for g in gaps if g.rule == "roles"]) == len(MEMBERS), "every member's role"
    for gap in gaps:
        title, words = gap.source
        assert title in ("The Core Group", "Core Group Meeting") and len(words) > 30


def test_each_need_has_its_outcome_measure_and_actions_with_who_and_when(app):
    plan = full_plan()
    need = plan["needs"][0]
    need.pop("howMeasured")
    need["intendedOutcome"] = "  "
    plan["needs"][1]["actions"] = []
    with app.test_request_context():
        gaps = procedure.plan_gaps(plan, MEMBERS)
    assert {(g.rule, g.pointer) for g in gaps} == {
        ("measured", "/needs/0/howMeasured"),
        ("intended-outcome", "/needs/0/intendedOutcome"),
        ("actions", "/needs/1/actions"),
    }


def test_a_contact_arrangement_says_why(app):
    plan = full_plan()
    plan["contacts"][0]["why"] = ""
    with app.test_request_context():
        assert [g.pointer for g in procedure.plan_gaps(plan, MEMBERS)] == ["/contacts/0/why"]


def test_removing_content_is_found_by_identity_not_position(app):
    before = full_plan()
    after = full_plan()
    after["needs"] = after["needs"][1:]  # a whole need removed: what is left is complete
    after["needs"][0].pop("howMeasured")  # and the measure of another taken out
    with app.test_request_context():
        removed = procedure.removed_content(
            procedure.plan_gaps(before, MEMBERS), procedure.plan_gaps(after, MEMBERS)
        )
    assert [g.pointer for g in removed] == ["/needs/0/howMeasured"]


def test_a_member_co_opted_later_is_flagged_but_blocks_no_other_change(app):
    members = {**MEMBERS, "m-new": "New Worker"}
    before = full_plan()
    after = full_plan()
    after["familyViews"] = {"m-layla": {"views": "I agree"}}
    with app.test_request_context():
        gaps_before = procedure.plan_gaps(before, members)
        assert [g.message for g in gaps_before] == [
            "Write the role of New Worker: what they are responsible for"
        ]
        assert procedure.removed_content(gaps_before, procedure.plan_gaps(after, members)) == []


def test_which_meeting_it_is_is_worked_out():
    kind = procedure.meeting_kind
    review = D(2027, 2, 2)
    assert kind(True, D(2026, 11, 10), D(2026, 12, 8), review, 4) == "first"
    assert kind(False, D(2026, 12, 8), D(2027, 1, 5), review, 4) == "subsequent"
    assert kind(False, D(2027, 1, 5), D(2027, 2, 2), review, 4) == "last-before-review"
    assert kind(False, D(2027, 1, 5), D(2027, 2, 1), review, 4) == "last-before-review", (
        "the review falls within the four weeks"
    )
    assert kind(False, D(2026, 12, 8), None, review, 4) == "subsequent"
    assert kind(False, D(2026, 12, 8), None, None, 4) == "subsequent"


def test_attendance_is_consistent(app):
    with app.test_request_context():
        found = procedure.attendance(
            {
                "chair": "m-a",
                "minuteTaker": "m-b",
                "present": ["m-b", "m-c"],
                "apologies": ["m-c", "m-d", "m-e"],
                "writtenUpdates": {"m-e": {"noUpdate": "On leave, asked, no reply"}},
            }
        )
    assert [(f.field, f.key) for f in found] == [
        ("present", None),  # the chair is not there
        ("apologies", None),  # m-c both present and sending apologies
        ("writtenUpdates/m-d/update", "m-d"),  # no update and no reason
    ]


def test_the_parents_present_are_told_everything_else_how_and_when(app):
    with app.test_request_context():
        assert procedure.explained_to_parents({"explained": ["causes", "change"]}, True)
        assert not procedure.explained_to_parents(
            {"explained": ["causes", "change", "contingency"]}, True
        )
        fields = [f.field for f in procedure.explained_to_parents({"explained": ["causes"]}, False)]
        assert fields == ["explainLater/how", "explainLater/by"], "a tick box is not enough"
        assert not procedure.explained_to_parents(
            {"explainLater": {"how": "Home visit", "by": "2026-12-10"}}, False
        )


def test_due_soon_and_late():
    assert procedure.late_first_core_group(D(2026, 11, 20), D(2026, 11, 16))
    assert not procedure.late_first_core_group(D(2026, 11, 16), D(2026, 11, 16))
    assert procedure.due_soon(D(2026, 12, 10), D(2026, 12, 7), D(2026, 12, 14))
    assert not procedure.due_soon(D(2027, 2, 7), D(2026, 12, 7), D(2026, 12, 14))


def test_a_need_added_incomplete_is_not_content_removed(app):
    before = full_plan()
    after = full_plan()
    after["needs"].append(
        {
            "id": "need-new",
            "side": "world",
            "area": "school",
            "whatMustChange": "New",
            "intendedOutcome": "Better",
            "actions": [],
        }
    )
    with app.test_request_context():
        removed = procedure.removed_content(
            procedure.plan_gaps(before, MEMBERS),
            procedure.plan_gaps(after, MEMBERS),
            procedure.item_ids(before),
        )
        assert removed == [], "the next meeting asks for its measure and actions"
        after["needs"][0].pop("howMeasured")
        removed = procedure.removed_content(
            procedure.plan_gaps(before, MEMBERS),
            procedure.plan_gaps(after, MEMBERS),
            procedure.item_ids(before),
        )
    assert [g.pointer for g in removed] == ["/needs/0/howMeasured"]
