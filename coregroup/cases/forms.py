"""Forms for recording the initial conference and the core group's membership."""

from __future__ import annotations

import datetime as dt
import re

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from coregroup import rules
from coregroup.daterange import DateRange
from coregroup.formgen import DateInputField, WholeNumberField, _tidy
from coregroup.models import ROLE_LABELS
from coregroup.webforms import Form

CATEGORY_LABELS = {
    "physical": _l("Physical abuse"),
    "emotional": _l("Emotional abuse"),
    "sexual": _l("Sexual abuse"),
    "neglect": _l("Neglect"),
    "financial": _l("Financial abuse"),
    "exploitation": _l("Exploitation"),
}
LANGUAGES = {
    "en_GB": "English",
    "cy": "Cymraeg",
    "pl": "Polski",
    "ro": "Română",
    "pa": "ਪੰਜਾਬੀ",
    "ur": "اردو",
    "ar": "العربية",
    "bn": "বাংলা",
}


def _profiles():
    return [SelectChoice(p.id, _l(p.name)) for p in rules.load_profiles().values()]


_BORN_HINT = _l("For a baby not yet born, enter the expected date of birth.")


def _not_in_future(form, field):
    if field.data and dt.date.fromisoformat(field.data) > dt.date.today():
        raise ValidationError(_l("The date of the conference must be today or in the past"))


def _within_years(before: int, after: int):
    """A date from `before` years ago to `after` years ahead of today: others cannot be meant."""

    def check(form, field):
        today = dt.date.today()
        DateRange(today - relativedelta(years=before), today + relativedelta(years=after))(
            form, field
        )

    return check


def _born(form, field):
    """A child under 18 at the conference; an unborn child's expected date within 10 months."""
    conference = _date_or_none(form.conference.data) or dt.date.today()
    earliest = conference - relativedelta(years=18) + dt.timedelta(days=1)
    DateRange(earliest, conference + relativedelta(months=10))(form, field)


def _date_or_none(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


class ConferenceForm(Form):
    """The initial child protection conference, as the lead social worker records it."""

    reference = StringField(
        _l("Case reference"),
        description=_l("Your organisation's reference for this case"),
        validators=[DataRequired(message=_l("Enter the case reference")), Length(max=40)],
        filters=[_tidy],
    )
    child1 = StringField(
        _l("Child's full name"),
        validators=[DataRequired(message=_l("Enter the child's full name")), Length(max=200)],
        filters=[_tidy],
    )
    child1_born = DateInputField(
        _l("Date of birth"), description=_BORN_HINT, validators=[Optional(), _born]
    )
    child2 = StringField(
        _l("Second child's full name (if siblings share the plan)"),
        validators=[Optional(), Length(max=200)],
        filters=[_tidy],
    )
    child2_born = DateInputField(
        _l("Date of birth"), description=_BORN_HINT, validators=[Optional(), _born]
    )
    child3 = StringField(
        _l("Third child's full name"), validators=[Optional(), Length(max=200)], filters=[_tidy]
    )
    child3_born = DateInputField(
        _l("Date of birth"), description=_BORN_HINT, validators=[Optional(), _born]
    )
    jurisdiction = RadioField(
        _l("Whose procedures apply?"),
        choices=_profiles,
        validators=[InputRequired(message=_l("Select whose procedures apply"))],
    )
    conference = DateInputField(
        _l("Date of the initial child protection conference"),
        validators=[
            InputRequired(message=_l("Enter the date of the conference")),
            _not_in_future,
            _within_years(5, 0),
        ],
    )
    categories = SelectMultipleField(
        _l("Categories of concern"),
        choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()],
        validators=[InputRequired(message=_l("Select at least one category of concern"))],
    )
    first_core_group = DateInputField(
        _l("Date of the first core group, if the conference set it"), validators=[Optional()]
    )
    every_weeks = WholeNumberField(
        _l("How often will the core group meet, in weeks?"),
        type_message=_l("Enter a whole number, like 4"),
    )

    def validate_categories(self, field):
        if self.jurisdiction.data in rules.load_profiles():
            allowed = rules.profile(self.jurisdiction.data).categories
            wrong = [c for c in field.data or [] if c not in allowed and c in CATEGORY_LABELS]
            if wrong:
                raise ValidationError(
                    _l("%(category)s is not a category under these procedures")
                    % {"category": CATEGORY_LABELS[wrong[0]]}
                )

    def validate_child2_born(self, field):
        if field.data and not (self.child2.data or "").strip():
            raise ValidationError(_l("Enter the second child's name, or remove this date"))

    def validate_child3_born(self, field):
        if field.data and not (self.child3.data or "").strip():
            raise ValidationError(_l("Enter the third child's name, or remove this date"))

    def validate_first_core_group(self, field):
        if field.data and self.conference.data and field.data < self.conference.data:
            raise ValidationError(_l("The first core group must be after the conference"))
        conference = _date_or_none(self.conference.data)
        if conference:
            DateRange(conference, conference + relativedelta(years=1))(self, field)

    def validate_every_weeks(self, field):
        if field.data is not None and not 1 <= field.data <= 12:
            raise ValidationError(_l("Enter a whole number from 1 to 12"))
        profile = rules.load_profiles().get(self.jurisdiction.data)
        if profile and profile.core_group_interval_weeks is None and not field.data:
            raise ValidationError(
                _l(
                    "These procedures leave it to the conference: enter how "
                    "often the core group will meet"
                )
            )


_PHONE = re.compile(r"^[0-9+() .\-]{6,40}$")


def _phone(form, field):
    digits = "".join(c for c in field.data or "" if c.isdigit())
    if field.data and (not _PHONE.match(field.data) or len(digits) < 6):
        raise ValidationError(_l("Enter a phone number, like 01481 123456 or +44 7700 900123"))


CONFIDENTIAL = [
    SelectChoice(
        "yes",
        _l("Keep their contact details confidential"),
    )
]
_CONFIDENTIAL_HINT = _l(
    "For example, for a parent who has fled abuse. Then only the lead social worker and the "
    "chair see their email address, phone and address."
)
# Anyone but a lead: there is one lead social worker, and the role passes by a hand-over.
MEMBER_ROLES = [SelectChoice(k, v) for k, v in ROLE_LABELS.items() if k != "lead-social-worker"]


class ContactFields(Form):
    """A member's contact details and language, as the lead social worker records them."""

    organisation = StringField(
        _l("Organisation (for professionals)"),
        validators=[Optional(), Length(max=200)],
        filters=[_tidy],
    )
    email = EmailField(
        _l("Email address"),
        description=_l("Their invitation is sent here. For professionals, their work email."),
        filters=[_tidy],
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com")),
            Length(max=320),
        ],
    )
    phone = StringField(
        _l("Phone number (optional)"),
        filters=[_tidy],
        validators=[Optional(), Length(max=40), _phone],
    )
    address = TextAreaField(
        _l("Address (optional)"),
        validators=[Optional(), Length(max=500, message=_l("Use 500 characters or fewer"))],
    )
    confidential = SelectMultipleField(
        _l("Confidential"), description=_CONFIDENTIAL_HINT, choices=CONFIDENTIAL
    )
    language = RadioField(
        _l("Which language do they prefer?"),
        choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()],
        default="en_GB",
        validators=[InputRequired(message=_l("Select a language"))],
    )


class MemberForm(ContactFields):
    """Someone joining the core group (members can be co-opted at any time)."""

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter their full name")), Length(max=200)],
        filters=[_tidy],
    )
    role = RadioField(
        _l("Their role"),
        choices=MEMBER_ROLES,
        validators=[InputRequired(message=_l("Select their role"))],
    )
    joined = DateInputField(
        _l("Date they joined the core group"),
        description=_l(
            "The date of the initial conference, or the day they were co-opted. They can see "
            "the case from this day."
        ),
        validators=[InputRequired(message=_l("Enter the date they joined")), _within_years(5, 1)],
    )


class DetailsForm(ContactFields):
    """Changing a member's contact details. `shown_*` carry what the page showed, so a change
    someone else made meanwhile is noticed, never overwritten."""

    shown = HiddenField()


def _not_ahead(form, field):
    if field.data and dt.date.fromisoformat(field.data) > dt.date.today():
        raise ValidationError(
            _l("Record the hand-over on the day it happens: the date cannot be in the future")
        )


class HandoverForm(Form):
    """The lead social worker role passing to another professional."""

    to = RadioField(
        _l("Who is the new lead social worker?"),
        validators=[InputRequired(message=_l("Select who is the new lead social worker"))],
        validate_choice=False,  # a member no longer offered gets a clear error (services)
    )
    new_name = StringField(_l("Full name"), validators=[Length(max=200)], filters=[_tidy])
    new_organisation = StringField(
        _l("Organisation"), validators=[Length(max=200)], filters=[_tidy]
    )
    new_email = EmailField(
        _l("Work email address"),
        description=_l("We email them an invitation. They become the lead when they accept it."),
        filters=[_tidy],
        validators=[Length(max=320)],
    )
    new_language = RadioField(
        _l("Which language do they prefer?"),
        choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()],
        default="en_GB",
    )
    on = DateInputField(
        _l("Date of the hand-over"),
        description=_l("Today, or the day it happened if you are recording it later."),
        validators=[
            InputRequired(message=_l("Enter the date of the hand-over")),
            _not_ahead,
            _within_years(5, 0),
        ],
    )
    previous = RadioField(
        _l("What happens to you, the lead social worker now?"),
        choices=[
            SelectChoice("stays", _l("I stay in the core group as a social worker")),
            SelectChoice("leaves", _l("I leave the core group on that date")),
        ],
        validators=[InputRequired(message=_l("Select whether you stay in the core group"))],
    )

    def validate_new_name(self, field):
        if self.to.data == "new" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the new lead social worker's full name"))

    def validate_new_email(self, field):
        if self.to.data != "new":
            return
        if not (field.data or "").strip():
            raise ValidationError(
                _l("Enter their work email address: their invitation is sent there")
            )
        Email(message=_l("Enter an email address like name@example.com"))(self, field)


class ReviewConferenceForm(Form):
    held = DateInputField(
        _l("Date the review conference was held"),
        validators=[
            InputRequired(message=_l("Enter the date of the review conference")),
            _not_in_future,
            _within_years(5, 0),
        ],
    )


class LeaveForm(Form):
    left = DateInputField(
        _l("Date they left the core group"),
        validators=[InputRequired(message=_l("Enter the date they left")), _within_years(5, 1)],
    )
