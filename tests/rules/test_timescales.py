"""Procedure timescales around weekends, Christmas, New Year and each jurisdiction's holidays.

Every expected date here was worked out by hand from a calendar, not by the code under test.
"""

import datetime as dt

import pytest

from coregroup import rules

D = dt.date
ENGLAND, WALES, SCOTLAND, NI, GUERNSEY = (
    rules.profile(p) for p in ("england", "wales", "scotland", "northern-ireland", "guernsey")
)


def test_every_profile_names_a_source_for_every_rule():
    for profile in rules.load_profiles().values():
        assert set(profile.sources) == {
            "retention",
            "first_core_group",
            "core_group_interval",
            "circulation",
            "review_conference",
            "categories",
            "words",
        }
        assert all(len(source) > 15 for source in profile.sources.values())


@pytest.mark.parametrize(
    "profile, conference, due",
    [
        # Monday: two full weeks.
        (ENGLAND, D(2026, 11, 2), D(2026, 11, 16)),
        # Friday before Christmas: skips 25 Dec, 28 Dec (Boxing Day observed) and 1 Jan.
        (ENGLAND, D(2026, 12, 18), D(2027, 1, 6)),
        (WALES, D(2026, 12, 18), D(2027, 1, 6)),
        (NI, D(2026, 12, 18), D(2027, 1, 6)),
        (GUERNSEY, D(2026, 12, 18), D(2027, 1, 6)),
        # Scotland counts 15 working days and also has 2 January (observed Mon 4 Jan 2027).
        (SCOTLAND, D(2026, 12, 18), D(2027, 1, 14)),
        # Guernsey's Liberation Day, Tuesday 9 May 2028, is not a working day there.
        (GUERNSEY, D(2028, 5, 1), D(2028, 5, 16)),
        (ENGLAND, D(2028, 5, 1), D(2028, 5, 15)),
    ],
)
def test_first_core_group_due(profile, conference, due):
    assert rules.first_core_group_due(conference, profile) == due


def test_scotland_and_england_differ_over_new_year():
    assert rules.add_working_days(D(2026, 12, 18), 15, ENGLAND) == D(2027, 1, 13)
    assert rules.add_working_days(D(2026, 12, 18), 15, SCOTLAND) == D(2027, 1, 14)


@pytest.mark.parametrize(
    "profile, meeting, due",
    [
        (ENGLAND, D(2027, 2, 5), D(2027, 2, 12)),  # Friday: the weekend does not count
        (ENGLAND, D(2027, 3, 15), D(2027, 3, 22)),
        (NI, D(2027, 3, 15), D(2027, 3, 23)),  # St Patrick's Day, Wednesday 17 March
        (ENGLAND, D(2026, 12, 23), D(2027, 1, 4)),  # 24, 29, 30, 31 Dec, 4 Jan
        (SCOTLAND, D(2026, 12, 23), D(2027, 1, 12)),  # 10 working days, 1, 2 (4) Jan off
        (GUERNSEY, D(2027, 12, 22), D(2027, 12, 31)),  # 23, 24, 29, 30, 31: 27 and 28 off
    ],
)
def test_circulation_due(profile, meeting, due):
    assert rules.circulation_due(meeting, profile) == due


def test_guernsey_christmas_2027():
    # 25 and 26 December 2027 fall at a weekend: 27 and 28 December are the holidays.
    assert not rules.is_working_day(D(2027, 12, 27), GUERNSEY)
    assert not rules.is_working_day(D(2027, 12, 28), GUERNSEY)
    assert rules.is_working_day(D(2027, 12, 29), GUERNSEY)


@pytest.mark.parametrize(
    "profile, agreed, expected",
    [
        (ENGLAND, None, 4),
        (WALES, None, 6),
        (ENGLAND, 2, 2),
        (ENGLAND, 6, 4),
        (SCOTLAND, 3, 3),
        (SCOTLAND, None, None),
    ],
)
def test_the_interval_is_what_the_conference_agreed_within_the_profile_limit(
    profile, agreed, expected
):
    assert rules.interval_weeks(profile, agreed) == expected


def test_a_later_core_group_beyond_the_interval_needs_a_reason():
    assert rules.next_core_group_due(D(2027, 1, 4), ENGLAND) == D(2027, 2, 1)
    assert not rules.needs_reason_for_date(D(2027, 1, 4), D(2027, 2, 1), ENGLAND)
    assert rules.needs_reason_for_date(D(2027, 1, 4), D(2027, 2, 2), ENGLAND)
    assert rules.needs_reason_for_date(D(2027, 1, 4), D(2027, 2, 10), WALES) is False
    assert rules.needs_reason_for_date(D(2027, 1, 4), D(2027, 3, 1), SCOTLAND) is False


def test_review_conferences_three_months_then_six():
    assert rules.review_conference_due(D(2026, 11, 30), ENGLAND) == D(2027, 2, 28)
    assert rules.review_conference_due(D(2026, 11, 30), ENGLAND, D(2027, 2, 25)) == D(2027, 8, 25)


def test_a_case_can_override_its_profile():
    local = ENGLAND.with_overrides({"circulation_working_days": 3, "name": "ignored"})
    assert local.circulation_working_days == 3 and local.name == ENGLAND.name
    assert rules.circulation_due(D(2027, 2, 5), local) == D(2027, 2, 10)


def test_timescales_for_systems():
    found = rules.timescales(ENGLAND, D(2026, 12, 18), meeting=D(2027, 2, 5))
    assert found == {
        "jurisdiction": "england",
        "conference": "2026-12-18",
        "firstCoreGroupDue": "2027-01-06",
        "coreGroupEveryWeeks": 4,
        "reviewConferenceDue": "2027-03-18",
        "meeting": "2027-02-05",
        "circulationDue": "2027-02-12",
        "nextCoreGroupDue": "2027-03-05",
    }
