"""Procedure timescales and checks: pure functions over dates, with each jurisdiction as data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import holidays
import yaml
from dateutil.relativedelta import relativedelta

from coregroup.i18n import gettext as _

PROFILES_FILE = Path(__file__).resolve().parent / "profiles.yaml"


@dataclass(frozen=True)
class Profile:
    """The rules of one jurisdiction; every value's source is in `sources`."""

    id: str
    name: str
    country: str
    subdiv: str | None
    first_core_group_working_days: int
    core_group_interval_weeks: int | None  # None: set locally, by the conference
    circulation_working_days: int
    review_first_months: int
    review_then_months: int
    categories: tuple[str, ...]
    # Retention: a closed case is kept until its youngest child is this old, and at least
    # this many years after it closed (coregroup.retention).
    retention_until_youngest_is: int = 25
    retention_years_after_closed: int = 6
    timezone: str = "Europe/London"  # where its meetings' times are
    words: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def with_overrides(self, overrides: dict | None) -> Profile:
        """This profile with a case's own values (only the known fields) in place of its own."""
        if not overrides:
            return self
        allowed = {k: v for k, v in overrides.items() if k in OVERRIDABLE}
        return replace(self, **allowed)


OVERRIDABLE = {
    "first_core_group_working_days",
    "core_group_interval_weeks",
    "circulation_working_days",
    "review_first_months",
    "review_then_months",
}


@cache  # safe: keyed by the file, which does not change while the process runs
def load_profiles(path: Path = PROFILES_FILE) -> dict[str, Profile]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    profiles = {}
    for key, p in raw.items():
        profiles[key] = Profile(
            id=key,
            name=p["name"],
            country=p["holidays"]["country"],
            subdiv=p["holidays"].get("subdiv"),
            timezone=p["timezone"],
            first_core_group_working_days=p["first_core_group"]["working_days"],
            core_group_interval_weeks=p["core_group_interval"]["weeks"],
            circulation_working_days=p["circulation"]["working_days"],
            review_first_months=p["review_conference"]["first_months"],
            review_then_months=p["review_conference"]["then_months"],
            categories=tuple(p["categories"]["values"]),
            retention_until_youngest_is=p["retention"]["until_youngest_is"],
            retention_years_after_closed=p["retention"]["years_after_closed"],
            words={k: v for k, v in p["words"].items() if k != "source"},
            sources={
                name: p[name]["source"]
                for name in (
                    "first_core_group",
                    "core_group_interval",
                    "circulation",
                    "review_conference",
                    "categories",
                    "retention",
                    "words",
                )
            },
        )
    return profiles


def profile(profile_id: str) -> Profile:
    return load_profiles()[profile_id]


@cache  # one calendar per jurisdiction: its key names all it holds, and holidays never change
def _calendar(country: str, subdiv: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv)


def is_working_day(day: dt.date, rules: Profile) -> bool:
    """Not a weekend day nor a public holiday in that jurisdiction (the holidays package's own
    rule, which knows each country's weekend and substitute days)."""
    return _calendar(rules.country, rules.subdiv).is_working_day(day)


def add_working_days(start: dt.date, days: int, rules: Profile) -> dt.date:
    """The date `days` working days after `start` (the start day itself is not counted)."""
    if days == 0:
        return start
    return _calendar(rules.country, rules.subdiv).get_nth_working_day(start, days)


def first_core_group_due(conference: dt.date, rules: Profile) -> dt.date:
    return add_working_days(conference, rules.first_core_group_working_days, rules)


def interval_weeks(rules: Profile, agreed_weeks: int | None = None) -> int | None:
    """How often core groups must meet: what the conference agreed, within the profile's limit."""
    if rules.core_group_interval_weeks is None:
        return agreed_weeks
    if agreed_weeks is None:
        return rules.core_group_interval_weeks
    return min(agreed_weeks, rules.core_group_interval_weeks)


def next_core_group_due(
    last_meeting: dt.date, rules: Profile, agreed_weeks: int | None = None
) -> dt.date | None:
    """The latest date for the next core group; None where neither profile nor case sets one."""
    weeks = interval_weeks(rules, agreed_weeks)
    return last_meeting + dt.timedelta(weeks=weeks) if weeks else None


def needs_reason_for_date(
    last_meeting: dt.date, proposed: dt.date, rules: Profile, agreed_weeks: int | None = None
) -> bool:
    """A next core group later than the interval allows must have a recorded reason."""
    due = next_core_group_due(last_meeting, rules, agreed_weeks)
    return due is not None and proposed > due


def circulation_due(meeting: dt.date, rules: Profile) -> dt.date:
    """The plan and minutes reach every member within this many working days of the meeting."""
    return add_working_days(meeting, rules.circulation_working_days, rules)


def review_conference_due(
    initial_conference: dt.date, rules: Profile, last_review: dt.date | None = None
) -> dt.date:
    """First review within N months of the initial conference; later ones within M of the last."""
    if last_review is None:
        return initial_conference + relativedelta(months=rules.review_first_months)
    return last_review + relativedelta(months=rules.review_then_months)


def retained_until(rules: Profile, closed_on: dt.date, youngest_born: dt.date | None) -> dt.date:
    """The first day a closed case may be deleted: when its youngest child (born, or due) is
    old enough, and never sooner than the years after closing the profile asks for."""
    after_closing = closed_on + relativedelta(years=rules.retention_years_after_closed)
    if youngest_born is None:
        return after_closing
    grown = youngest_born + relativedelta(years=rules.retention_until_youngest_is)
    return max(after_closing, grown)


def timescales(
    rules: Profile,
    conference: dt.date,
    meeting: dt.date | None = None,
    agreed_weeks: int | None = None,
    last_review: dt.date | None = None,
) -> dict[str, str | int | None]:
    """Every due date the rules give for these dates, as ISO strings, for people and systems."""
    result: dict[str, str | int | None] = {
        "jurisdiction": rules.id,
        "conference": conference.isoformat(),
        "firstCoreGroupDue": first_core_group_due(conference, rules).isoformat(),
        "coreGroupEveryWeeks": interval_weeks(rules, agreed_weeks),
        "reviewConferenceDue": review_conference_due(conference, rules, last_review).isoformat(),
    }
    if meeting is not None:
        next_due = next_core_group_due(meeting, rules, agreed_weeks)
        result["meeting"] = meeting.isoformat()
        result["circulationDue"] = circulation_due(meeting, rules).isoformat()
        result["nextCoreGroupDue"] = next_due.isoformat() if next_due else None
    return result


def _date_arg(args, name: str) -> tuple[dt.date | None, str | None]:
    raw = args.get(name, "").strip()
    if not raw:
        return None, None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None, _("%(name)s must be a date like 2027-03-27", name=name)
    if not 1900 <= day.year <= 2200:
        return None, _("%(name)s must be a date between 1900 and 2200", name=name)
    return day, None


def calculate(args) -> tuple[dict | None, dict[str, str]]:
    """The timescales a query asks for (the calculator's page and the API): (result, {field:
    problem})."""
    problems = {}
    profile_id = args.get("jurisdiction", "")
    if profile_id not in load_profiles():
        problems["jurisdiction"] = _(
            "jurisdiction must be one of %(names)s", names=", ".join(load_profiles())
        )
    conference, problem = _date_arg(args, "conference")
    if problem or conference is None:
        problems["conference"] = problem or _("conference is required")
    meeting, problem = _date_arg(args, "meeting")
    if problem:
        problems["meeting"] = problem
    weeks = None
    if args.get("weeks"):
        raw = args["weeks"]
        weeks = int(raw) if raw.isdigit() and 1 <= int(raw) <= 52 else None
        if weeks is None:
            problems["weeks"] = _("weeks must be a whole number from 1 to 52")
    if problems:
        return None, problems
    return timescales(profile(profile_id), conference, meeting, weeks), {}
