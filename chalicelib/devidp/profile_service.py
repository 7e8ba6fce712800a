"""The stand-in for the Helsinki profile service (open-city-profile), for the local, dev and test
stages only: its GraphQL endpoint answers the portal's query with the development provider's people.

What it imitates (open-city-profile ``profiles/schema.py``): ``myProfile`` is the profile of the
token's ``sub``; its ``verifiedPersonalInformation`` (``firstName``, ``lastName``, ``givenName``,
``nationalIdentificationNumber``, ``municipalityOfResidence``) is released only when the token's
``loa`` is ``substantial`` or ``high``; otherwise the field is null with a GraphQL error
``PERMISSION_DENIED_ERROR``. The token must be this provider's API token for ``profile-api`` (the
UMA grant of chalicelib/devidp/tokens.py). A Katso sign-in is a person's (its ``sub`` is the
person's), so Katso users have profiles too.

GraphQL here is the subset the portal sends: one query operation, nested field selections, no
arguments, variables or fragments; a field the schema does not have is a GraphQL error, as in
graphene. HTTP is in chalicelib/handlers/devprofile.py.
"""
from __future__ import annotations

import re

from chalicelib.devidp import identities

RELEASE_LEVELS = ("substantial", "high")
MAX_QUERY = 4000
_TOKEN = re.compile(r"\s*([{}]|[A-Za-z_][A-Za-z0-9_]*|\S)")
# The schema's part that the stand-in knows: type -> field -> the field's type (None: a scalar).
SCHEMA = {
    "Query": {"myProfile": "ProfileNode"},
    "ProfileNode": {"id": None, "firstName": None, "lastName": None,
                    "verifiedPersonalInformation": "VerifiedPersonalInformationNode"},
    "VerifiedPersonalInformationNode": {"firstName": None, "lastName": None, "givenName": None,
                                        "nationalIdentificationNumber": None, "municipalityOfResidence": None,
                                        "municipalityOfResidenceNumber": None},
}


class GraphQLError(Exception):
    def __init__(self, message: str, code: str = "GENERAL_ERROR"):
        super().__init__(message)
        self.code = code


def parse(query: str) -> dict:
    """``query Name { a { b c } }`` -> {"a": {"b": {}, "c": {}}}; GraphQLError when it is not that."""
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        raise GraphQLError("The query is missing or too long.")
    tokens = [t for t in _TOKEN.findall(query.replace(",", " "))]
    position = 0
    if tokens[:1] == ["query"]:
        position = 2 if len(tokens) > 1 and tokens[1] != "{" else 1

    def selection(at: int, depth: int) -> tuple[dict, int]:
        if depth > 5 or at >= len(tokens) or tokens[at] != "{":
            raise GraphQLError("Syntax Error: expected {.")
        fields: dict = {}
        at += 1
        while at < len(tokens) and tokens[at] != "}":
            name = tokens[at]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise GraphQLError(f"Syntax Error: unexpected {name[:20]!r}.")
            at += 1
            sub: dict = {}
            if at < len(tokens) and tokens[at] == "{":
                sub, at = selection(at, depth + 1)
            fields[name] = sub
        if at >= len(tokens):
            raise GraphQLError("Syntax Error: expected }.")
        return fields, at + 1

    fields, end = selection(position, 0)
    if end != len(tokens):
        raise GraphQLError("Syntax Error: unexpected text after the operation.")
    return fields


def _check(fields: dict, type_name: str) -> None:
    for name, sub in fields.items():
        if name not in SCHEMA[type_name]:
            raise GraphQLError(f'Cannot query field "{name}" on type "{type_name}".')
        child = SCHEMA[type_name][name]
        if child is None and sub:
            raise GraphQLError(f'Field "{name}" must not have a selection since it is a scalar.')
        if child is not None:
            if not sub:
                raise GraphQLError(f'Field "{name}" of type "{child}" must have a selection of subfields.')
            _check(sub, child)


def _pick(fields: dict, values: dict) -> dict:
    return {name: values.get(name) for name in fields}


def execute(query: str, token_claims: dict | None) -> dict:
    """The GraphQL answer (``data`` and maybe ``errors``) for ``query`` asked with a verified API
    token's claims (None: no or an invalid token)."""
    try:
        fields = parse(query)
        _check(fields, "Query")
    except GraphQLError as error:
        return {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}
    if "myProfile" not in fields:
        return {"data": {}}
    if token_claims is None:
        return {"data": {"myProfile": None}, "errors": [{
            "message": "You do not have permission to perform this action.", "path": ["myProfile"],
            "extensions": {"code": "PERMISSION_DENIED_ERROR"}}]}
    person = identities.person_by_subject(str(token_claims.get("sub") or ""))
    if person is None:
        return {"data": {"myProfile": None}}
    wanted = fields["myProfile"]
    profile = _pick({k: v for k, v in wanted.items() if k != "verifiedPersonalInformation"}, {
        "id": f"dev-profile-{person.key}", "firstName": person.given_name.split(" ")[0], "lastName": person.family_name,
    })
    errors = []
    if "verifiedPersonalInformation" in wanted:
        if token_claims.get("loa") in RELEASE_LEVELS:
            profile["verifiedPersonalInformation"] = _pick(wanted["verifiedPersonalInformation"], {
                "firstName": person.given_name, "lastName": person.family_name,
                "givenName": person.given_name.split(" ")[0],
                "nationalIdentificationNumber": person.national_id,
                "municipalityOfResidence": "Helsinki", "municipalityOfResidenceNumber": "091",
            })
        else:
            profile["verifiedPersonalInformation"] = None
            errors.append({"message": "You do not have permission to perform this action.",
                           "path": ["myProfile", "verifiedPersonalInformation"],
                           "extensions": {"code": "PERMISSION_DENIED_ERROR"}})
    answer: dict = {"data": {"myProfile": profile}}
    if errors:
        answer["errors"] = errors
    return answer


def token_claims(authorization: str | None) -> dict | None:
    """The claims of a valid ``Bearer`` API token for the profile service, or None."""
    from chalicelib.config import settings
    from chalicelib.devidp.tokens import TokenError, verify

    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return verify(token.strip(), audience=settings().profile_api_audience)
    except TokenError:
        return None
