"""The base of every web form: Flask-WTF's form, with the text policy applied to every field.

Each field's answer is normalised to NFC, and an answer holding a character the policy refuses
is refused at that field, in the person's language, before any other check; what they typed is
kept on the page (coregroup.textpolicy).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation

from coregroup import textpolicy


def _nfc(value):
    if isinstance(value, str):
        return textpolicy.nfc(value)
    if isinstance(value, list):
        return [textpolicy.nfc(v) if isinstance(v, str) else v for v in value]
    return value


class TextAllowed:
    """Refuse an answer holding text the policy refuses (what was sent, before any filter)."""

    def __call__(self, form, field):
        for raw in getattr(field, "raw_data", None) or ():
            reason = textpolicy.problem(raw) if isinstance(raw, str) else None
            if reason:
                raise StopValidation(textpolicy.message(reason))


def _with_policy(unbound: UnboundField) -> UnboundField:
    """The same field with the policy's check first among its validators, and NFC first among
    its filters (WTForms: positional arguments are label, validators, filters)."""
    args, kwargs = list(unbound.args), dict(unbound.kwargs)
    if len(args) > 1:
        args[1] = [TextAllowed(), *(args[1] or ())]
    else:
        kwargs["validators"] = [TextAllowed(), *(kwargs.get("validators") or ())]
    if len(args) > 2:
        args[2] = [_nfc, *(args[2] or ())]
    else:
        kwargs["filters"] = [_nfc, *(kwargs.get("filters") or ())]
    return UnboundField(unbound.field_class, *args, name=unbound.name, **kwargs)


class Form(FlaskForm):
    """Every form of Core Group derives from this one."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            return super().bind_field(form, _with_policy(unbound_field), options)
