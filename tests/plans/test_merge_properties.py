"""Property-based tests of the three-way merge (hypothesis): no change that did not clash is
ever dropped, merging nothing changes nothing, and no half list-item is ever made."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from coregroup.plans.diff import flatten, merge

FIELDS = ("what", "why", "how", "status")
TOP = ("aims", "contingency", "childViews")
text = st.sampled_from(["a", "b", "c", "dd", "", "long text", "ĉ"])


@st.composite
def documents(draw):
    doc = {key: draw(text) for key in draw(st.sets(st.sampled_from(TOP)))}
    ids = draw(st.lists(st.sampled_from([f"n{i}" for i in range(6)]), unique=True, max_size=4))
    if ids:
        doc["needs"] = [
            {"id": i, **{f: draw(text) for f in draw(st.sets(st.sampled_from(FIELDS), min_size=1))}}
            for i in ids
        ]
    return doc


@st.composite
def edited(draw, base):
    doc = copy.deepcopy(base)
    for _n in range(draw(st.integers(0, 4))):
        choice = draw(
            st.sampled_from(
                ["set-top", "drop-top", "set-item", "drop-field", "add-item", "drop-item"]
            )
        )
        needs = doc.setdefault("needs", [])
        if choice == "set-top":
            doc[draw(st.sampled_from(TOP))] = draw(text)
        elif choice == "drop-top":
            doc.pop(draw(st.sampled_from(TOP)), None)
        elif choice == "set-item" and needs:
            item = draw(st.sampled_from(needs))
            item[draw(st.sampled_from(FIELDS))] = draw(text)
        elif choice == "drop-field" and needs:
            item = draw(st.sampled_from(needs))
            fields = [f for f in FIELDS if f in item]
            if len(fields) > 1:
                del item[draw(st.sampled_from(fields))]
        elif choice == "add-item":
            new_id = draw(st.sampled_from([f"x{i}" for i in range(4)]))
            if new_id not in [n["id"] for n in needs]:
                needs.append({"id": new_id, "what": draw(text)})
        elif choice == "drop-item" and needs:
            needs.remove(draw(st.sampled_from(needs)))
        if not needs:
            doc.pop("needs", None)
    return doc


@st.composite
def three(draw):
    base = draw(documents())
    return base, draw(edited(base)), draw(edited(base))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(documents())
def test_merging_no_change_of_yours_gives_theirs(base):
    assert merge(base, base, base) == (base, [])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.data())
def test_merge_base_x_base_is_x_and_base_base_x_is_x(data):
    base = data.draw(documents())
    x = data.draw(edited(base))
    assert merge(base, x, base) == (x, [])
    assert merge(base, base, x) == (x, [])


@settings(max_examples=500, deadline=None, derandomize=True)
@given(three())
def test_no_change_that_did_not_clash_is_dropped(docs):
    base, theirs, yours = docs
    merged, conflicts = merge(base, theirs, yours)
    clashed = [c.key for c in conflicts]
    b, t, y, m = flatten(base), flatten(theirs), flatten(yours), flatten(merged)

    def in_conflict(key):
        return any(key[: len(c)] == c for c in clashed)

    for side in (t, y):
        for key in set(side) | set(b):
            if in_conflict(key) or side.get(key) == b.get(key):
                continue
            item = next((key[: n + 1] for n, p in enumerate(key) if p.startswith("[")), None)
            other = y if side is t else t
            if (
                item
                and not any(k[: len(item)] == item for k in other)
                and any(k[: len(item)] == item for k in b)
            ):
                continue  # the other side removed the whole item, and this side did not clash
            assert m.get(key) == side.get(key), (key, base, theirs, yours, merged)
    for need in merged.get("needs", []):
        assert "id" in need, "never a half item"
