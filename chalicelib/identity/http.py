"""The portal's outbound HTTP, and the relying party's calls to the identity provider (discovery,
JWKS, token endpoint).

``call`` is the one implementation over urllib: the identity provider's calls (here), the profile
service's (``profile_service.py``) and Suomi.fi e-Authorizations' (``authorizations/port.py``) go
through it. Each of the three keeps its own ``transport`` seam, so that tests route each to its own
in-process stand-in, and its own error for an unreachable service.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

TIMEOUT_SECONDS = 5


class ProviderUnavailable(RuntimeError):
    """The identity provider did not answer, or answered something that is not JSON."""


class Unreachable(Exception):
    """No answer: refused, timed out, a name that does not resolve. The message is safe to log (the
    method, the address without its query, the error's class)."""


@dataclass
class HttpResponse:
    status: int
    body: bytes


def call(method: str, url: str, body: bytes | None, headers: dict[str, str], *, timeout: float,
         limit: int | None = None) -> HttpResponse:
    """One request; any status is an answer (its body read up to ``limit`` bytes). Raises Unreachable."""
    import urllib.error
    import urllib.request  # with http.client, ssl and email: loaded by the first sign-in, not by every cold start

    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (https/http URL from settings)
            return HttpResponse(answer.status, answer.read(limit) if limit else answer.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, error.read(limit) if limit else error.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise Unreachable(f"{method} {url.split('?')[0]}: {error.__class__.__name__}") from error


def urllib_transport(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> HttpResponse:
    try:
        return call(method, url, body, headers, timeout=TIMEOUT_SECONDS)
    except Unreachable as error:
        raise ProviderUnavailable(str(error)) from error


transport = urllib_transport


def request_json(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    response = transport(method, url, body, {"Accept": "application/json", **(headers or {})})
    try:
        data = json.loads(response.body or b"{}")
    except (ValueError, RecursionError) as error:
        raise ProviderUnavailable(f"{url.split('?')[0]} answered {response.status} without JSON") from error
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url.split('?')[0]} answered a JSON {type(data).__name__}")
    return response.status, data
