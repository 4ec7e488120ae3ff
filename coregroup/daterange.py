"""Date ranges: the dates an answer can be meant to hold (`x-date-range` in the schema, and the
case form's own), checked when a date is entered: on the pages (a WTForms validator) and in
the API."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from wtforms.validators import ValidationError

from coregroup.i18n import format_date
from coregroup.i18n import gettext as _


class DateRange:
    """Refuse a date that cannot be meant, naming the range (checked when the date is entered,
    not by the schema, so what was stored and exported before stays valid)."""

    def __init__(
        self, earliest: dt.date | None, latest: dt.date | None, message: str | None = None
    ):
        self.earliest, self.latest, self.message = earliest, latest, message

    def allows(self, day: dt.date) -> bool:
        return not ((self.earliest and day < self.earliest) or (self.latest and day > self.latest))

    def describe(self) -> str:
        return self.message or range_message(self.earliest, self.latest)

    def __call__(self, form, field):
        if field.data and not self.allows(dt.date.fromisoformat(field.data)):
            raise ValidationError(self.describe())


def range_message(earliest: dt.date | None, latest: dt.date | None) -> str:
    words = {"earliest": format_date(earliest, "d MMMM yyyy") if earliest else ""}
    words["latest"] = format_date(latest, "d MMMM yyyy") if latest else ""
    if earliest and latest:
        return _("Enter a date from %(earliest)s to %(latest)s", **words)
    if earliest:
        return _("Enter a date on or after %(earliest)s", **words)
    return _("Enter a date on or before %(latest)s", **words)


def date_range(rule: dict | None, anchors: dict[str, dt.date]) -> DateRange | None:
    """The range an `x-date-range` names: {"anchor": "conference" | "today",
    "earliest": {"years": -1}, "latest": {"years": 5}} (offsets from the anchor; the case's
    conference falls back to today where none is recorded)."""
    if not rule:
        return None
    anchor = anchors.get(rule["anchor"]) or anchors.get("today") or dt.date.today()
    earliest = anchor + relativedelta(**rule["earliest"]) if "earliest" in rule else None
    latest = anchor + relativedelta(**rule["latest"]) if "latest" in rule else None
    return DateRange(earliest, latest)
