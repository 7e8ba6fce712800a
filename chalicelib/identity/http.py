"""The relying party's HTTP calls to the identity provider (discovery, JWKS, token endpoint).

A tiny seam over urllib: tests route these calls to the in-process development provider by
replacing ``transport``; nothing else in the code knows how HTTP is done.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

TIMEOUT_SECONDS = 5


class ProviderUnavailable(RuntimeError):
    """The identity provider did not answer, or answered something that is not JSON."""


@dataclass
class HttpResponse:
    status: int
    body: bytes


def urllib_transport(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> HttpResponse:
    import urllib.error
    import urllib.request  # with http.client, ssl and email: loaded by the first sign-in, not by every cold start

    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (https/http URL from settings)
            return HttpResponse(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, error.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ProviderUnavailable(f"{method} {url.split('?')[0]}: {error.__class__.__name__}") from error


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
