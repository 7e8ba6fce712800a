"""The few domain errors. The web layer maps them to HTTP in one place (chalicelib/web/views.py)."""
from __future__ import annotations

from chalicelib.i18n import Message


class DomainError(Exception):
    pass


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does (the same answer for both)."""


class Forbidden(DomainError):
    pass


class Conflict(DomainError):
    pass


class Invalid(DomainError):
    """Input that breaks a rule. ``errors`` maps a field name to a Message (a plain message id is
    made one; the division API's are English texts for machines, shown as they are)."""

    def __init__(self, errors: dict[str, Message | str]):
        super().__init__(", ".join(sorted(errors)))
        self.errors: dict[str, Message] = {
            name: value if isinstance(value, Message) else Message(value) for name, value in errors.items()}


class TooLarge(Invalid):
    """A file (or body) over its size limit."""


class UnsupportedType(Invalid):
    """A file whose content is not of an allowed type."""
