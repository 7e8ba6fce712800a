"""Checking answers: which fields are shown, and whether each answer is acceptable.

Hidden fields (whose condition is not met) are neither validated nor sent. An error is a Message,
translated when it is shown.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from chalicelib import validators
from chalicelib.forms.schema import FormDefinition, FormField, FormPage
from chalicelib.i18n import N_, Message

Answer = str | list[str]
REQUIRED = Message(N_("This field is required."))


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


def visible(field: FormField, answers: dict) -> bool:
    if field.condition is None:
        return True
    value = answers.get(field.condition.field)
    chosen = value if isinstance(value, list) else [value]
    return any(v in field.condition.values for v in chosen)


def check(field: FormField, value, attachments: list | None = None):
    """Returns (normalised value, error). ``value`` is what the person typed (str or list of str)."""
    if field.type == "attachment":
        names = [a for a in (attachments or []) if a.field == field.name]
        if field.required and not names:
            return None, Message(N_("Add the attachment."))
        return [a.attachment_id for a in names], None
    if field.type == "multichoice":
        chosen = value if isinstance(value, list) else ([value] if value else [])
        allowed = {o.value for o in field.options}
        if any(v not in allowed for v in chosen):
            return None, Message(N_("Choose from the options given."))
        if field.required and not chosen:
            return None, Message(N_("Choose at least one option."))
        return [o.value for o in field.options if o.value in chosen], None
    if isinstance(value, list):
        return None, Message(N_("Give one answer."))
    text = (value or "").strip()
    if field.type == "checkbox":
        if text not in ("", "yes"):
            return None, Message(N_("Choose from the options given."))
        if field.required and not text:
            return None, Message(N_("Check the box to continue."))
        return text == "yes", None
    if not text:
        return (None, REQUIRED) if field.required else (None, None)
    if field.limit and len(text) > field.limit:
        return None, Message(N_("The answer can be at most %(max)d characters long."), {"max": field.limit})
    if field.type in ("text", "textarea"):
        return text, None
    if field.type == "choice":
        return (text, None) if text in {o.value for o in field.options} else (None, Message(N_("Choose from the options given.")))
    if field.type == "number":
        try:
            number = Decimal(text.replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            return None, Message(N_("Give a number."))
        if not number.is_finite():
            return None, Message(N_("Give a number."))
        if field.minimum is not None and number < Decimal(str(field.minimum)):
            return None, Message(N_("Give a number of at least %(min)s."), {"min": _plain(field.minimum)})
        if field.maximum is not None and number > Decimal(str(field.maximum)):
            return None, Message(N_("Give a number of at most %(max)s."), {"max": _plain(field.maximum)})
        return _plain(number), None
    checks = {
        "email": (validators.email, Message(N_("Give an e-mail address in the form name@example.fi."))),
        "phone": (validators.finnish_mobile, Message(N_("Give a phone number in the international format, for example +358 40 123 4567."))),
        "personal_identity_code": (validators.personal_identity_code, Message(N_("Give a valid personal identity code, for example 010190-123A."))),
        "business_id": (validators.business_id, Message(N_("Give a valid Business ID, for example 1234567-8."))),
        "postal_code": (validators.postal_code, Message(N_("Give a postal code of five digits."))),
        "date": (validators.calendar_date, Message(N_("Give a date in the form 24.12.2026."))),
    }
    validate, message = checks[field.type]
    clean = validate(text)
    if clean is None:
        return None, message
    return (clean.isoformat() if field.type == "date" else clean), None


def _plain(number) -> str:
    value = Decimal(str(number))
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value.normalize())


def page_errors(page: FormPage, answers: dict, attachments: list) -> dict:
    errors = {}
    for field in page.fields:
        if visible(field, answers):
            _, error = check(field, answers.get(field.name), attachments)
            if error:
                errors[field.name] = error
    return errors


def all_errors(form: FormDefinition, answers: dict, attachments: list) -> dict[int, dict]:
    """Errors per page number (1-based) for every page that has any."""
    found = {}
    for number, page in enumerate(form.pages, start=1):
        errors = page_errors(page, answers, attachments)
        if errors:
            found[number] = errors
    return found


def clean_answers(form: FormDefinition, answers: dict, attachments: list) -> dict:
    """The normalised answers of the visible fields only: what a submission stores."""
    clean = {}
    for field in form.fields():
        if visible(field, answers):
            value, error = check(field, answers.get(field.name), attachments)
            if error:
                raise ValueError(f"{field.name} is not valid")
            if not is_empty(value) and value is not False:
                clean[field.name] = value
    return clean
