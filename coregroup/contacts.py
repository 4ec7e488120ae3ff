"""Who may see a member's contact details (e-mail, phone, address): the one place it is decided.

Need-to-know, as a core group where there is domestic abuse needs it:
- everyone sees their own details;
- a member marked confidential (e.g. a parent fleeing abuse): only the lead social worker and
  the chair of the core group's meetings see them;
- a family member's details: professionals see them, other family members never do;
- a professional's work details: every member of the core group sees them.

Pages, exports, e-mails, calendar files, minutes and the API all ask `Viewer.sees`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coregroup.extensions import db
from coregroup.models import Case, Meeting, Member


@dataclass(frozen=True)
class Contact:
    email: str | None
    phone: str | None
    address: str | None
    # Whether the member is confidential: told only to those who see their details (saying
    # so to the other parent would itself tell them something).
    confidential: bool | None = None

    def __bool__(self) -> bool:
        return bool(self.email or self.phone or self.address)


WITHHELD = Contact(None, None, None)


def chair_ref(case: Case) -> str | None:
    """The member chairing the core group's meetings: the chair of its newest meeting that
    names one (a meeting being recorded counts)."""
    records = db.session.scalars(
        select(Meeting.record).where(Meeting.case_id == case.id).order_by(Meeting.number.desc())
    )
    for record in records:
        if (record or {}).get("chair"):
            return record["chair"]
    return None


@dataclass(frozen=True)
class Viewer:
    """One member looking at the others' contact details; None is nobody (sees nothing)."""

    member: Member | None
    chair: str | None = None

    @classmethod
    def of(cls, member: Member | None) -> Viewer:
        return cls(member, chair_ref(member.case) if member is not None else None)

    @property
    def privileged(self) -> bool:
        """The lead social worker and the chair: they see confidential details. A family
        member is never privileged, even if a meeting record names them as its chair."""
        m = self.member
        return (
            m is not None
            and m.is_current
            and not m.is_family
            and (m.is_lead or m.ref == self.chair)
        )

    def sees(self, subject: Member) -> bool:
        viewer = self.member
        if viewer is None:
            return False
        if viewer.id == subject.id:
            return True
        if subject.confidential:
            return self.privileged
        if subject.is_family:
            return not viewer.is_family
        return True

    def contact(self, subject: Member) -> Contact:
        if not self.sees(subject):
            return WITHHELD
        return Contact(subject.email, subject.phone, subject.address, subject.confidential)

    def address_of(self, subject: Member, address: str | None) -> str | None:
        """An address recorded for the member elsewhere (e.g. where a plan was sent)."""
        return address if self.sees(subject) else None


class Everything(Viewer):
    """The whole record, for moving a case to another installation from the command line (an
    operator who holds the database anyway)."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def privileged(self) -> bool:
        return True

    def sees(self, subject: Member) -> bool:
        return True
