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
    StopValidation,
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


def language_choices(welsh_first: bool = False) -> list[SelectChoice]:
    """Each language by its own name, marked with its language (so it is read and drawn as
    such); Welsh first for a case in Wales, as the Welsh Language Standards ask."""
    order = list(LANGUAGES)
    if welsh_first:
        order.remove("cy")
        order.insert(0, "cy")
    lang = {code: code.replace("_", "-") for code in LANGUAGES}
    return [SelectChoice(k, LANGUAGES[k], render_kw={"lang": lang[k]}) for k in order]


_CATEGORY_CHOICES = [SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()]


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
        description=_l("For a baby not yet born, for example “Baby of Anna Kowalska”."),
        validators=[DataRequired(message=_l("Enter the child's full name")), Length(max=200)],
        filters=[_tidy],
    )
    child1_born = DateInputField(
        _l("Date of birth"), description=_BORN_HINT, validators=[Optional(), _born]
    )
    child1_categories = SelectMultipleField(
        _l("Categories of concern for this child"),
        choices=_CATEGORY_CHOICES,
        validators=[InputRequired(message=_l("Select at least one category of concern"))],
    )
    child2 = StringField(
        _l("Second child's full name (if siblings share the plan)"),
        validators=[Optional(), Length(max=200)],
        filters=[_tidy],
    )
    child2_born = DateInputField(
        _l("Date of birth"), description=_BORN_HINT, validators=[Optional(), _born]
    )
    child2_categories = SelectMultipleField(
        _l("Categories of concern for the second child"), choices=_CATEGORY_CHOICES
    )
    child3 = StringField(
        _l("Third child's full name"),
        description=_l("You can add more children later, from the case's page."),
        validators=[Optional(), Length(max=200)],
        filters=[_tidy],
    )
    child3_born = DateInputField(
        _l("Date of birth"), description=_BORN_HINT, validators=[Optional(), _born]
    )
    child3_categories = SelectMultipleField(
        _l("Categories of concern for the third child"), choices=_CATEGORY_CHOICES
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
    first_core_group = DateInputField(
        _l("Date of the first core group, if the conference set it"), validators=[Optional()]
    )
    every_weeks = WholeNumberField(
        _l("How often will the core group meet, in weeks?"),
        type_message=_l("Enter a whole number, like 4"),
    )

    def _check_categories(self, field, named: bool):
        if not named:
            if field.data:
                raise ValidationError(_l("Enter this child's name, or clear these categories"))
            return
        if not field.data:
            raise ValidationError(_l("Select at least one category of concern"))
        if self.jurisdiction.data in rules.load_profiles():
            allowed = rules.profile(self.jurisdiction.data).categories
            wrong = [c for c in field.data or [] if c not in allowed and c in CATEGORY_LABELS]
            if wrong:
                raise ValidationError(
                    _l("%(category)s is not a category under these procedures")
                    % {"category": CATEGORY_LABELS[wrong[0]]}
                )

    def validate_child1_categories(self, field):
        self._check_categories(field, True)

    def validate_child2_categories(self, field):
        self._check_categories(field, bool((self.child2.data or "").strip()))

    def validate_child3_categories(self, field):
        self._check_categories(field, bool((self.child3.data or "").strip()))

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
        choices=language_choices(),
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
    children = SelectMultipleField(
        _l("For a parent, carer or child: which children are they a parent or carer of?"),
        description=_l("They see the parts of the plan about these children only."),
        validate_choice=False,
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
        choices=language_choices(),
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


def _held(form, field):
    if field.data and dt.date.fromisoformat(field.data) > dt.date.today():
        raise ValidationError(_l("The date of the conference must be today or in the past"))


class ReviewConferenceForm(Form):
    """A review conference: its date and chair, and the next review's date. Each child's
    outcome is added per child by `review_form`."""

    held = DateInputField(
        _l("Date the review conference was held"),
        validators=[
            InputRequired(message=_l("Enter the date of the review conference")),
            _held,
            _within_years(5, 0),
        ],
    )
    chair = StringField(
        _l("Who chaired the conference?"),
        description=_l("Usually an independent chair, not a member of the core group."),
        validators=[
            DataRequired(message=_l("Enter the name of the person who chaired the conference")),
            Length(max=200),
        ],
        filters=[_tidy],
    )
    next_review = DateInputField(
        _l("Date of the next review conference"),
        description=_l("Leave this empty if every plan ends at this conference."),
        validators=[Optional(), _within_years(1, 2)],
    )


OUTCOMES = [
    SelectChoice("continue", _l("The plan continues")),
    SelectChoice("end", _l("The plan ends")),
]


def review_form(children, allowed_categories, formdata=None):
    """The review conference form with an outcome, categories and end reason per child on a
    plan (field names end with the child's id)."""
    from coregroup.models import PLAN_END_REASONS

    class Bound(ReviewConferenceForm):
        pass

    for child in children:
        setattr(
            Bound,
            f"outcome_{child.id}",
            RadioField(
                _l("What did the conference decide?"), choices=OUTCOMES, validate_choice=False
            ),
        )
        setattr(
            Bound,
            f"categories_{child.id}",
            SelectMultipleField(
                _l("Categories of concern from now on"),
                choices=[SelectChoice(k, CATEGORY_LABELS[k]) for k in allowed_categories],
                validate_choice=False,
            ),
        )
        setattr(
            Bound,
            f"reason_{child.id}",
            RadioField(
                _l("Why does the plan end?"),
                choices=[SelectChoice(k, v) for k, v in PLAN_END_REASONS.items()],
                validate_choice=False,
            ),
        )
        setattr(
            Bound,
            f"note_{child.id}",
            TextAreaField(
                _l("More about why (optional, unless you chose another reason)"),
                validators=[Optional(), Length(max=1000)],
            ),
        )
    return Bound(formdata=formdata) if formdata is not None else Bound()


def _born_or_due(form, field):
    """A child under 18, or a baby due within 10 months: others cannot be meant."""
    today = dt.date.today()
    earliest = today - relativedelta(years=18) + dt.timedelta(days=1)
    DateRange(earliest, today + relativedelta(months=10))(form, field)


def _asked_if_on_plan(message):
    """Asked only when the child is on a plan: then required, and a date of the last 5 years."""

    def check(form, field):
        if form.plan.data != "yes":
            field.errors[:] = []
            raise StopValidation()
        if not field.data:
            raise StopValidation(message)
        _within_years(5, 0)(form, field)

    return check


class ChildForm(Form):
    """A child added to the case: a new baby, a child who moved in, an unborn child."""

    name = StringField(
        _l("Child's full name"),
        description=_l("For a baby not yet born, for example “Baby of Anna Kowalska”."),
        validators=[DataRequired(message=_l("Enter the child's full name")), Length(max=200)],
        filters=[_tidy],
    )
    born = DateInputField(
        _l("Date of birth, or the date the baby is due"),
        validators=[
            InputRequired(message=_l("Enter the date of birth, or the date the baby is due")),
            _born_or_due,
        ],
    )
    family = SelectMultipleField(
        _l("Who in the core group is this child's parent or carer?"),
        description=_l("They will see the parts of the plan about this child."),
        validate_choice=False,
    )
    plan = RadioField(
        _l("Is this child on a child protection plan?"),
        choices=[
            SelectChoice("yes", _l("Yes, a conference decided it")),
            SelectChoice("no", _l("Not yet")),
        ],
        validators=[InputRequired(message=_l("Select whether this child is on a plan"))],
    )
    plan_from = DateInputField(
        _l("Date of the conference that decided it"),
        validators=[_asked_if_on_plan(_l("Enter the date of the conference that decided it"))],
    )
    categories = SelectMultipleField(
        _l("Categories of concern for this child"),
        choices=_CATEGORY_CHOICES,
        validate_choice=False,
    )


def _nhs_number(form, field):
    """10 digits (spaces or hyphens between them allowed), the last a modulus 11 check digit
    (python-stdnum). Kept as the 10 digits."""
    from stdnum.gb import nhs

    typed = (field.data or "").strip()
    if not typed:
        field.data = None
        return
    digits = re.sub(r"[\s-]", "", typed)
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise ValidationError(_l("Enter an NHS number of 10 digits, like 943 476 5919"))
    if not nhs.is_valid(digits) or len(set(digits)) == 1:
        raise ValidationError(
            _l("This is not a real NHS number. Check each digit against the child's records")
        )
    field.data = digits


def _local_id(form, field):
    typed = (field.data or "").strip()
    if not typed:
        field.data = None
        return
    if not re.fullmatch(r"[A-Za-z0-9]{1,20}", typed):
        raise ValidationError(_l("Enter up to 20 letters or numbers, with no spaces"))
    field.data = typed


class ChildDetailsForm(Form):
    """Correcting a child's name or date of birth (or due date): retention and the census
    depend on them; and the identifiers other services know the child by. `shown` carries
    what the page showed, so a change someone else made meanwhile is noticed, never
    overwritten."""

    name = ChildForm.name
    born = ChildForm.born
    nhs_number = StringField(
        _l("NHS number (optional)"),
        description=_l(
            "10 digits, for example 943 476 5919. Health services find the child's records by it."
        ),
        validators=[_nhs_number],
    )
    local_id = StringField(
        _l("The child's ID in your council's records (optional)"),
        description=_l(
            "Up to 20 letters or numbers, as your children's social care records have it. "
            "The Children in Need census uses it."
        ),
        validators=[_local_id],
    )
    shown = HiddenField()


class StartPlanForm(Form):
    """A new plan for a child of the case, after a conference (the case opens again if it
    was closed)."""

    child = RadioField(
        _l("Which child is the plan for?"),
        validators=[InputRequired(message=_l("Select the child"))],
        validate_choice=False,
    )
    plan_from = DateInputField(
        _l("Date of the conference that decided it"),
        validators=[
            InputRequired(message=_l("Enter the date of the conference that decided it")),
            _within_years(5, 0),
        ],
    )
    categories = SelectMultipleField(
        _l("Categories of concern for this child"),
        choices=_CATEGORY_CHOICES,
        validate_choice=False,
    )


class LegalHoldForm(Form):
    hold = RadioField(
        _l("Must this case be kept whatever the retention period?"),
        choices=[
            SelectChoice("yes", _l("Yes, put it on legal hold")),
            SelectChoice("no", _l("No, lift the legal hold")),
        ],
        validators=[InputRequired(message=_l("Select whether the case is on legal hold"))],
    )
    reason = TextAreaField(
        _l("Why?"),
        description=_l("For example, care proceedings, a court order or a review."),
        validators=[Length(max=500)],
    )

    def validate_reason(self, field):
        if self.hold.data == "yes" and not (field.data or "").strip():
            raise ValidationError(_l("Enter why the case must be kept"))


class FamilyLinksForm(Form):
    children = SelectMultipleField(
        _l("Which children are they a parent or carer of?"),
        description=_l("They see the parts of the plan about these children only."),
        validate_choice=False,
    )


class LeaveForm(Form):
    left = DateInputField(
        _l("Date they left the core group"),
        validators=[InputRequired(message=_l("Enter the date they left")), _within_years(5, 1)],
    )
