"""Forms for recording the initial conference and the core group's membership."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    RadioField,
    SelectMultipleField,
    StringField,
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


class MemberForm(Form):
    """Someone joining the core group (members can be co-opted at any time)."""

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter their full name")), Length(max=200)],
        filters=[_tidy],
    )
    role = RadioField(
        _l("Their role"),
        choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()],
        validators=[InputRequired(message=_l("Select their role"))],
    )
    organisation = StringField(
        _l("Organisation (for professionals)"), validators=[Optional(), Length(max=200)]
    )
    email = EmailField(
        _l("Email address"),
        filters=[_tidy],
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com")),
            Length(max=320),
        ],
    )
    language = RadioField(
        _l("Which language do they prefer?"),
        choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()],
        default="en_GB",
        validators=[InputRequired(message=_l("Select a language"))],
    )
    joined = DateInputField(
        _l("Date they joined the core group"),
        validators=[InputRequired(message=_l("Enter the date they joined")), _within_years(5, 1)],
    )


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
