"""The child protection plans module of England's Children in Need (CIN) census, per child, for
one reporting year: as the census' XML structure and as CSV. Nothing is stored; no names.

Followed: the Department for Education's "Children in need census 2025 to 2026: business and
technical specification" (collection 2026; published 1 November 2024), whose child protection
plan items are unchanged in the 2026 to 2027 specification. Element names, their order and the
codes are those of the specification's XML message structure (README, "Children in Need census",
lists the items this service does not hold and why).

The reporting year ending 31 March of `year` runs from 1 April of the year before. A plan is
returned when it was open at any time in the year; its end date only if it ended within the
year; its latest category of abuse as it stood at the year's end; each review conference of the
plan held within the year.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from coregroup.models import Case, Child, ChildPlan

# The census' category of abuse codes: one category each; MUL for more than one.
CATEGORY = {"neglect": "NEG", "physical": "PHY", "emotional": "EMO", "sexual": "SAB"}
APPLIES_TO = "england"
SOFTWARE = "Core Group"


def reporting_year(year: int) -> tuple[dt.date, dt.date]:
    """The census year ending 31 March `year` (the census' <Year>)."""
    return dt.date(year - 1, 4, 1), dt.date(year, 3, 31)


def category_code(categories: list[str]) -> str | None:
    codes = sorted({CATEGORY[c] for c in categories or [] if c in CATEGORY})
    return "MUL" if len(codes) > 1 else (codes[0] if codes else None)


@dataclass
class PlanRow:
    start: dt.date
    end: dt.date | None
    initial: str | None
    latest: str | None
    previous: int
    reviews: list[dt.date] = field(default_factory=list)


@dataclass
class ChildRow:
    case: Case
    child: Child
    plans: list[PlanRow]

    @property
    def la_child_id(self) -> str | None:
        return self.child.local_id


def _latest_categories(case: Case, child: Child, plan: ChildPlan, until: dt.date) -> list[str]:
    """The plan's categories as the last conference before `until` left them (a review
    conference may change them; the plan's own are as the latest conference set them)."""
    changes = [
        (review.held_on, list(outcome["categories"]))
        for review in case.review_conferences
        for outcome in [(review.outcomes or {}).get(child.ref, {})]
        if outcome.get("plan") == plan.number and outcome.get("categories")
    ]
    if not changes or (plan.ended_on is not None and plan.ended_on <= until):
        # No conference is recorded changing them (or the plan ended within the year): the
        # plan's own categories are the latest.
        return list(plan.categories or plan.initial_categories or [])
    found = list(plan.initial_categories or [])
    for held, categories in changes:
        if held <= until:
            found = categories
    return found


def rows(cases: list[Case], year: int) -> list[ChildRow]:
    """Every child of these England cases with a plan open during the year."""
    start, end = reporting_year(year)
    found = []
    for case in cases:
        if case.jurisdiction != APPLIES_TO:
            continue
        for child in sorted(case.children, key=lambda c: c.id):
            plans = []
            for plan in child.plans:
                if plan.started_on > end or (plan.ended_on and plan.ended_on < start):
                    continue
                ended = plan.ended_on if plan.ended_on and plan.ended_on <= end else None
                until = ended or end
                reviews = sorted(
                    r.held_on
                    for r in case.review_conferences
                    if (r.outcomes or {}).get(child.ref, {}).get("plan") == plan.number
                    and start <= r.held_on <= until
                    and r.held_on > plan.started_on
                )
                plans.append(
                    PlanRow(
                        start=plan.started_on,
                        end=ended,
                        initial=category_code(plan.initial_categories),
                        latest=category_code(_latest_categories(case, child, plan, until)),
                        previous=sum(1 for p in child.plans if p.number < plan.number),
                        reviews=reviews,
                    )
                )
            if plans:
                found.append(ChildRow(case, child, plans))
    return found


def missing(found: list[ChildRow]) -> list[dict]:
    """What the census needs that a child's record here lacks: each as a problem item."""
    problems = []
    for row in found:
        where = f"/cases/{row.case.id}/children/{row.child.ref}"
        if not row.la_child_id:
            problems.append(
                {
                    "pointer": f"{where}/localId",
                    "code": "missing-la-child-id",
                    "detail": (
                        f"Case {row.case.reference}: child {row.child.ref} has no ID from the "
                        "council's records (LAchildID). Add it on the case's children page."
                    ),
                }
            )
        for n, plan in enumerate(row.plans):
            for key, value in (("initial", plan.initial), ("latest", plan.latest)):
                if value is None:
                    problems.append(
                        {
                            "pointer": f"{where}/plans/{n}/{key}Category",
                            "code": "no-census-category",
                            "detail": (
                                f"Case {row.case.reference}: plan {n + 1} in the year of child "
                                f"{row.child.ref} has no category of abuse the census knows "
                                "(neglect, physical, emotional or sexual)."
                            ),
                        }
                    )
    return problems


def _add(parent: ET.Element, name: str, text: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, name)
    if text is not None:
        element.text = text.isoformat() if isinstance(text, dt.date) else str(text)
    return element


def xml(found: list[ChildRow], year: int, la_code: str, release: str, now: dt.datetime) -> bytes:
    """The census' XML message: its header, and per child their identifiers and their child
    protection plans (in CINdetails, the items this service does not hold left out)."""
    message = ET.Element("Message")
    header = _add(message, "Header")
    details = _add(header, "CollectionDetails")
    _add(details, "Collection", "CIN")
    _add(details, "Year", year)
    _add(details, "ReferenceDate", reporting_year(year)[1])
    source = _add(header, "Source")
    _add(source, "SourceLevel", "L")
    _add(source, "LEA", la_code)
    _add(source, "SoftwareCode", SOFTWARE)
    _add(source, "Release", release)
    _add(source, "SerialNo", "001")
    # The census' DateTime has no zone: the time in England when the file was made.
    local = now.astimezone(ZoneInfo("Europe/London"))
    _add(source, "DateTime", local.replace(microsecond=0, tzinfo=None).isoformat())
    children = _add(message, "Children")
    for row in found:
        child = _add(children, "Child")
        ids = _add(child, "ChildIdentifiers")
        _add(ids, "LAchildID", row.la_child_id)
        if row.child.date_of_birth:
            _add(ids, "PersonBirthDate", row.child.date_of_birth)
        elif row.child.expected_on:
            _add(ids, "ExpectedPersonBirthDate", row.child.expected_on)
        cin = _add(child, "CINdetails")
        for plan in row.plans:
            element = _add(cin, "ChildProtectionPlans")
            _add(element, "CPPstartDate", plan.start)
            if plan.end:
                _add(element, "CPPendDate", plan.end)
            _add(element, "InitialCategoryOfAbuse", plan.initial)
            _add(element, "LatestCategoryOfAbuse", plan.latest)
            _add(element, "NumberOfPreviousCPP", plan.previous)
            if plan.reviews:
                reviews = _add(element, "Reviews")
                for day in plan.reviews:
                    _add(reviews, "CPPreviewDate", day)
    ET.indent(message)
    return ET.tostring(message, encoding="utf-8", xml_declaration=True)


COLUMNS = [
    "case_reference",
    "child_id",
    "la_child_id",
    "person_birth_date",
    "expected_person_birth_date",
    "cpp_start_date",
    "cpp_end_date",
    "initial_category_of_abuse",
    "latest_category_of_abuse",
    "number_of_previous_cpp",
    "cpp_review_dates",
]


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @, tab or CR first)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(found: list[ChildRow]) -> str:
    """The same, one row per child per plan, for the data team to check before the return.
    The case reference and this service's child id find the record; there are no names."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()

    def day(value):
        return value.isoformat() if value else ""

    for row in found:
        for plan in row.plans:
            values = {
                "case_reference": row.case.reference,
                "child_id": row.child.ref,
                "la_child_id": row.la_child_id or "",
                "person_birth_date": day(row.child.date_of_birth),
                "expected_person_birth_date": ""
                if row.child.date_of_birth
                else day(row.child.expected_on),
                "cpp_start_date": day(plan.start),
                "cpp_end_date": day(plan.end),
                "initial_category_of_abuse": plan.initial or "",
                "latest_category_of_abuse": plan.latest or "",
                "number_of_previous_cpp": str(plan.previous),
                "cpp_review_dates": ";".join(d.isoformat() for d in plan.reviews),
            }
            writer.writerow({k: _cell(v) for k, v in values.items()})
    return out.getvalue()
