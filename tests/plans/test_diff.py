"""Comparing and merging plan documents field by field."""

import copy

from coregroup.plans.diff import apply_yours, changes, flatten, merge, unflatten
from tests.factories import full_plan


def test_flatten_and_unflatten_give_back_the_document():
    plan = full_plan()
    assert unflatten(flatten(plan)) == plan


def test_list_items_are_keyed_by_id_not_position():
    plan = full_plan()
    moved = copy.deepcopy(plan)
    moved["needs"].reverse()
    assert set(flatten(plan)) == set(flatten(moved))


def test_changes_name_each_changed_field_by_json_pointer():
    old = full_plan()
    new = copy.deepcopy(old)
    new["aims"] = "Different"
    new["needs"][1]["actions"][0]["status"] = "done"
    del new["childViews"]
    new["needs"].append({"id": "new-need", "side": "grow", "area": "school"})
    found = {(c.op, c.path) for c in changes(old, new)}
    assert found == {
        ("replace", "/aims"),
        ("replace", "/needs/1/actions/0/status"),
        ("remove", "/childViews"),
        ("add", "/needs/4/id"),
        ("add", "/needs/4/side"),
        ("add", "/needs/4/area"),
    }


def test_merge_keeps_changes_to_different_fields():
    base = full_plan()
    theirs, yours = copy.deepcopy(base), copy.deepcopy(base)
    theirs["aims"] = "Theirs"
    yours["contingency"] = "Yours"
    merged, conflicts = merge(base, theirs, yours)
    assert conflicts == []
    assert merged["aims"] == "Theirs" and merged["contingency"] == "Yours"


def test_merge_keeps_items_both_added():
    base = full_plan()
    theirs, yours = copy.deepcopy(base), copy.deepcopy(base)
    theirs["roles"].append({"id": "r-theirs", "member": "m-sam", "responsibilities": "A"})
    yours["roles"].append({"id": "r-yours", "member": "m-priya", "responsibilities": "B"})
    merged, conflicts = merge(base, theirs, yours)
    assert conflicts == []
    assert [r["id"] for r in merged["roles"]][-2:] == ["r-theirs", "r-yours"]


def test_the_same_field_changed_two_ways_is_a_conflict_with_both_values():
    base = full_plan()
    theirs, yours = copy.deepcopy(base), copy.deepcopy(base)
    theirs["aims"], yours["aims"] = "Theirs", "Yours"
    merged, conflicts = merge(base, theirs, yours)
    assert [(c.key, c.theirs, c.yours) for c in conflicts] == [(("aims",), "Theirs", "Yours")]


def test_merging_with_no_change_of_yours_gives_theirs():
    base = full_plan()
    theirs = copy.deepcopy(base)
    theirs["needs"][0]["why"] = "Changed"
    assert merge(base, theirs, base) == (theirs, [])


def test_an_item_removed_by_them_and_edited_by_you_is_one_clash_not_a_half_item():
    base = full_plan()
    theirs, yours = copy.deepcopy(base), copy.deepcopy(base)
    theirs["needs"] = [n for n in theirs["needs"] if n["id"] != "need-school"]
    school = next(n for n in yours["needs"] if n["id"] == "need-school")
    school["why"] = "Added by me"
    merged, conflicts = merge(base, theirs, yours)
    assert [c.key for c in conflicts] == [("needs", "[need-school]")]
    assert conflicts[0].theirs is None and conflicts[0].yours["why"] == "Added by me"
    assert all("id" in n for n in merged["needs"])
    assert "need-school" not in [n["id"] for n in merged["needs"]]
    mine = apply_yours(merged, yours, conflicts)
    assert next(n for n in mine["needs"] if n["id"] == "need-school")["why"] == "Added by me"


def test_an_item_removed_by_you_and_edited_by_them_keeps_theirs_as_a_clash():
    base = full_plan()
    theirs, yours = copy.deepcopy(base), copy.deepcopy(base)
    theirs["needs"][0]["why"] = "Their edit"
    yours["needs"] = yours["needs"][1:]
    merged, conflicts = merge(base, theirs, yours)
    assert [c.key for c in conflicts] == [("needs", "[need-supervision]")]
    assert merged["needs"][0]["why"] == "Their edit"
    assert "need-supervision" not in [
        n["id"] for n in apply_yours(merged, yours, conflicts)["needs"]
    ]


def test_an_item_removed_by_one_side_and_untouched_by_the_other_is_removed():
    base = full_plan()
    yours = copy.deepcopy(base)
    yours["needs"] = yours["needs"][1:]
    merged, conflicts = merge(base, base, yours)
    assert conflicts == [] and merged == yours
