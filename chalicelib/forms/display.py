"""Answers as a person reads them back (summary, the application in the folder)."""
from __future__ import annotations

from chalicelib import validators
from chalicelib.forms.schema import FormField


def display_value(field: FormField, value, attachments: list, language: str, yes: str, no: str) -> str:
    if field.type == "attachment":
        return ", ".join(a.name for a in attachments if a.field == field.name)
    if field.type == "checkbox":
        return yes if value in ("yes", True) else no
    if field.type in ("choice", "multichoice"):
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(o.label.get(language) for o in field.options if o.value in chosen)
    if field.type == "date" and isinstance(value, str):
        day = validators.calendar_date(value)
        return f"{day.day}.{day.month}.{day.year}" if day else value
    if isinstance(value, list):
        return ", ".join(value)
    return value or ""


def answered_pages(form, answers: dict, attachments: list, language: str, yes: str, no: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """A sent form's answers as the summary shows them, page by page: (page title, [(label, answer)]).
    Only what was sent: the visible fields that have an answer, and file fields that have files
    (the application page and the receipt)."""
    pages = []
    for page in form.pages:
        rows = [(f.label.get(language), display_value(f, answers.get(f.name), attachments, language, yes, no))
                for f in page.fields
                if f.name in answers or (f.type == "attachment" and any(a.field == f.name for a in attachments))]
        if rows:
            pages.append((page.title.get(language), rows))
    return pages
