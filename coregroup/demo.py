"""A realistic demo case: two siblings, their core group, and a plan with needs and actions."""

from __future__ import annotations

import datetime as dt
import secrets

import pyotp
from sqlalchemy import select

from coregroup.auth import hash_password
from coregroup.extensions import db
from coregroup.models import Case, Child, ChildPlan, Member, User
from coregroup.plans.services import plan_schema, write_version

DEMO_DOMAIN = "demo.coregroup.example"

PEOPLE = [
    # (key, name, role, organisation, language)
    ("sam", "Sam Okafor", "lead-social-worker", "Children's Services", "en"),
    ("priya", "Priya Shah", "health-visitor", "Health Visiting Team", "en"),
    ("owen", "Owen Le Page", "teacher", "St Anne's Primary School", "en"),
    ("ruth", "Dr Ruth Mahy", "gp", "Queen's Road Surgery", "en"),
    ("layla", "Layla Hassan", "parent", None, "ar"),
    ("daniel", "Daniel Hassan", "parent", None, "en"),
]


DEMO_PHONES = {
    "sam": "01481 700100",
    "priya": "01481 700200",
    "owen": "01481 700300",
    "ruth": "01481 700400",
    "layla": "07700 900123",
    "daniel": "07700 900456",
}
DEMO_ADDRESSES = {"layla": "Flat 2, 14 Rue du Pré, St Peter Port", "daniel": "7 Les Banques"}


def demo_plan(ref: dict[str, str], conference: dt.date, schema_version: str) -> dict:
    """The demo family's plan, agreed at the initial conference."""

    def due(days: int) -> str:
        return (conference + dt.timedelta(days=days)).isoformat()

    document = {"schemaVersion": schema_version}
    document.update(
        {
            "aims": (
                "Amira and Yusuf are safe at home, go to school and nursery every day, "
                "and have a parent who can look after them when things are hard."
            ),
            "concerns": {
                "summary": (
                    "The children were left alone at night more than once. Yusuf has missed "
                    "health checks. There has been shouting and pushing between the adults "
                    "in front of the children."
                ),
                "categories": ["neglect", "emotional"],
            },
            "needs": [
                {
                    "id": "need-supervision",
                    "side": "care",
                    "area": "keeping-me-safe",
                    "whatMustChange": "An adult is always at home with the children at night.",
                    "why": "The children were found alone at night twice in October.",
                    "intendedOutcome": "The children are never left alone at home.",
                    "howMeasured": "Unannounced visits find an adult at home; the children say so.",
                    "actions": [
                        {
                            "id": "act-childcare",
                            "what": "Agree a plan for who looks after the children at night.",
                            "how": "Family meeting with Layla, Daniel and grandmother.",
                            "who": [ref["sam"], ref["layla"], ref["daniel"]],
                            "byWhen": due(14),
                            "status": "in-progress",
                        },
                        {
                            "id": "act-visits",
                            "what": "Visit at different times, including evenings.",
                            "who": [ref["sam"]],
                            "byWhen": due(28),
                            "status": "not-started",
                        },
                    ],
                },
                {
                    "id": "need-health",
                    "side": "grow",
                    "area": "being-healthy",
                    "whatMustChange": "Yusuf goes to all his health checks and vaccinations.",
                    "why": "He has missed his 3-year review and two vaccinations.",
                    "intendedOutcome": "Yusuf's health checks and vaccinations are up to date.",
                    "howMeasured": "The health visitor's records.",
                    "actions": [
                        {
                            "id": "act-review",
                            "what": "Book and go to Yusuf's development review.",
                            "who": [ref["layla"], ref["priya"]],
                            "byWhen": due(21),
                            "status": "not-started",
                        },
                        {
                            "id": "act-vaccines",
                            "what": "Catch up on missed vaccinations.",
                            "who": [ref["ruth"], ref["layla"]],
                            "byWhen": due(42),
                            "status": "not-started",
                        },
                    ],
                },
                {
                    "id": "need-school",
                    "side": "world",
                    "area": "school",
                    "whatMustChange": "Amira gets to school on time every day.",
                    "intendedOutcome": "Amira's attendance is above 95%.",
                    "howMeasured": "The school's weekly attendance figures.",
                    "actions": [
                        {
                            "id": "act-attendance",
                            "what": "Share attendance with the core group every week.",
                            "who": [ref["owen"]],
                            "byWhen": due(28),
                            "status": "in-progress",
                        }
                    ],
                },
                {
                    "id": "need-calm-home",
                    "side": "care",
                    "area": "being-there-for-me",
                    "whatMustChange": "The adults stop fighting in front of the children.",
                    "intendedOutcome": "The children feel calm and safe at home.",
                    "howMeasured": "What the children tell Sam, and what the police report.",
                    "actions": [
                        {
                            "id": "act-support",
                            "what": "Go to the domestic abuse support programme.",
                            "who": [ref["daniel"]],
                            "byWhen": due(56),
                            "status": "not-started",
                        }
                    ],
                },
            ],
            "roles": [
                {
                    "id": "role-sam",
                    "member": ref["sam"],
                    "responsibilities": "Leads the plan, visits the family, chairs nothing alone.",
                },
                {
                    "id": "role-layla",
                    "member": ref["layla"],
                    "responsibilities": "Makes sure Yusuf gets to his appointments.",
                },
                {
                    "id": "role-priya",
                    "member": ref["priya"],
                    "responsibilities": "Checks Yusuf's health and development.",
                },
                {
                    "id": "role-owen",
                    "member": ref["owen"],
                    "responsibilities": "Shares Amira's attendance and tells Sam of any worry.",
                },
                {
                    "id": "role-ruth",
                    "member": ref["ruth"],
                    "responsibilities": "Tells the core group of any visit about the children.",
                },
                {
                    "id": "role-daniel",
                    "member": ref["daniel"],
                    "responsibilities": "Goes to the support programme and stays calm at home.",
                },
            ],
            "contacts": [
                {
                    "id": "contact-sam",
                    "member": ref["sam"],
                    "sees": "child-and-family",
                    "howOften": "Every week, sometimes in the evening",
                    "why": "To see that the children are safe at home at night.",
                },
                {
                    "id": "contact-priya",
                    "member": ref["priya"],
                    "sees": "child",
                    "howOften": "Every two weeks",
                    "why": "To check Yusuf's health and development.",
                },
            ],
            "contingency": (
                "If the children are found alone at night again, we will call a "
                "child protection conference straight away."
            ),
            "childViews": "Amira says she gets scared when it is dark and nobody is home.",
            "professionalNotes": (
                "Police hold information from a third party about the November incident. "
                "Do not share it with the family without checking with the police first."
            ),
            "schedule": {
                "coreGroupEveryWeeks": 4,
                "nextCoreGroup": due(10),
                "reviewConference": due(91),
            },
        }
    )
    return document


def load_demo(today: dt.date | None = None) -> dict[str, str] | None:
    """Create the demo case once; return each demo sign-in's password, or None if it exists."""
    if db.session.scalar(select(Case).where(Case.reference == "DEMO-0001")):
        return None
    today = today or dt.date.today()
    conference = today - dt.timedelta(days=35)
    case = Case(
        reference="DEMO-0001",
        jurisdiction="guernsey",
        initial_conference=conference,
        # The first core group a week after the conference; the next, four weeks on, is today.
        first_core_group_on=conference + dt.timedelta(days=7),
        core_group_every_weeks=4,
    )
    case.children = [
        Child(name="Amira Hassan", date_of_birth=dt.date(today.year - 8, 3, 14)),
        Child(name="Yusuf Hassan", date_of_birth=dt.date(today.year - 3, 9, 2)),
    ]
    for child, categories in zip(
        case.children, (["emotional"], ["neglect", "emotional"]), strict=True
    ):
        child.plans.append(ChildPlan.starting(1, categories, conference))
    credentials = {}
    refs = {}
    for key, name, role, organisation, language in PEOPLE:
        email = f"{key}@{DEMO_DOMAIN}"
        password = secrets.token_urlsafe(9)
        user = User(
            email=email,
            name=name,
            password_hash=hash_password(password),
            preferred_language=language,
            professional=role not in ("parent", "carer", "child"),
            # Demo professionals have their second factor set up already (see `demo-code`).
            totp_secret=pyotp.random_base32() if role not in ("parent", "carer", "child") else None,
        )
        member = Member(
            name=name,
            role=role,
            organisation=organisation,
            email=email,
            phone=DEMO_PHONES.get(key),
            address=DEMO_ADDRESSES.get(key),
            # Layla left the family home: her details are for the lead and the chair only.
            confidential=key == "layla",
            language=language,
            joined_on=conference,
            user=user,
        )
        case.members.append(member)
        credentials[email] = password
    db.session.add(case)
    db.session.flush()  # members numbered in the order above, before the family is linked
    for member in case.members:
        if member.is_family:
            member.children = list(case.children)  # Layla and Daniel: both children's parents
    refs = {key: m.ref for (key, *_), m in zip(PEOPLE, case.members, strict=True)}
    author = case.members[0].user
    write_version(
        case,
        author,
        demo_plan(refs, conference, plan_schema().version),
        note="Agreed at the initial conference",
    )
    db.session.commit()
    _first_meeting(case, refs, author)
    return credentials


def _first_meeting(case: Case, refs: dict[str, str], author: User) -> None:
    """The first core group, held and recorded, so the demo has minutes and a score chart."""
    from coregroup.meetings import services as meetings

    meeting = meetings.open_meeting(case)
    held = case.first_core_group_on
    meeting.record = {
        **meeting.record,
        "date": held.isoformat(),
        "time": "10:00",
        "location": "Family centre, St Peter Port",
        "chair": refs["priya"],
        "minuteTaker": refs["owen"],
        "present": [refs["sam"], refs["priya"], refs["owen"], refs["layla"]],
        "apologies": [refs["ruth"]],
        "rolesConfirmed": "yes",
        "explained": ["causes", "change", "contingency"],
        "scores": {
            refs["sam"]: {"score": 3, "reason": "Night-time care is not yet arranged."},
            refs["priya"]: {"score": 4, "reason": "Layla has booked the health review."},
            refs["owen"]: {"score": 5, "reason": "Amira is on time more often."},
            refs["layla"]: {"score": 6, "reason": "My mother will stay at night."},
        },
        "evidenceOfChange": "yes",
        "writtenUpdates": {refs["ruth"]: {"update": "Vaccination appointments are offered."}},
        # Ruth sent apologies: her written update gave no score, which the minutes show.
        "nextMeeting": {
            "date": (held + dt.timedelta(weeks=4)).isoformat(),
            "time": "10:00",
            "location": "Family centre, St Peter Port",
        },
    }
    meeting.status = "completed"
    meeting.completed_by_id = author.id
    meeting.completed_at = dt.datetime.combine(held, dt.time(12, 0))
    meeting.plan_number = meeting.reviewed_plan_number
    db.session.commit()
