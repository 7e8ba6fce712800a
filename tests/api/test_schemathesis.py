"""schemathesis against the division API's OpenAPI document, on the portal served as `make run`
serves it, with a valid division key: no server errors and every response matching the document,
over at least 1,000 generated cases."""
from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from chalicelib.divisions.openapi import OPERATIONS, document
from tests.conftest import ROOT

EXAMPLES_PER_OPERATION = 220
schema = schemathesis.openapi.from_dict(document())
cases = {"count": 0}


@pytest.fixture(scope="module")
def division_key(portal):
    keys = json.loads((ROOT / "test-results" / "portal-division-keys.json").read_text())
    return keys["urban-environment"]


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_matches_its_document(case, portal, division_key):
    if case.method.upper() not in ("GET", "POST"):
        return  # undeclared methods are API Gateway's (deployed) or chalice local's to answer, never the app's
    cases["count"] += 1
    # Every check but "schema-valid data is accepted": a cursor is opaque (only ones the API gave are
    # valid) and a well-formed item number may belong to another division (404 by design).
    # A negative case that mutates the headers (the division key's Authorization left out, say) is
    # sent as generated: adding the key back would make it a valid request that the API rightly accepts.
    headers = {} if _negative_headers(case) else {"Authorization": f"Bearer {division_key}"}
    case.call_and_validate(base_url=portal, headers=headers,
                           excluded_checks=[positive_data_acceptance, unsupported_method])


def _negative_headers(case) -> bool:
    components = getattr(case.meta, "components", None) or {}
    return any(str(getattr(location, "value", location)).lower().startswith("header")
               and info.mode == GenerationMode.NEGATIVE for location, info in components.items())


def test_at_least_a_thousand_cases_ran():
    """Runs after the generated tests in this module (pytest keeps file order)."""
    assert len(OPERATIONS) * EXAMPLES_PER_OPERATION >= 1000
    assert cases["count"] >= 1000, cases
