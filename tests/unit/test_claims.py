"""The claim mapping (chalicelib/identity/claims.py): each preset, the generic mapping, the method and
level tables, personal vs organisation, the minimum level of assurance and malformed claims."""
from __future__ import annotations

import pytest

from chalicelib.config import settings
from chalicelib.identity import claims as mapping_module
from chalicelib.identity import profile_service
from chalicelib.identity.claims import (
    InvalidIdentity,
    LevelTooLow,
    ProfileMismatch,
    claims_needed,
    identity_from_claims,
)

HETU = "210281-9988"
NORDEA = profile_service.VerifiedPerson("Portaalia Nordea", "Testaaja", "Portaalia", HETU)


@pytest.fixture
def configure(monkeypatch):
    def set_(**values):
        for name, value in values.items():
            monkeypatch.setattr(settings(), name, value)

    return set_


@pytest.fixture
def profile(monkeypatch):
    """The profile service's answer for the next call (a VerifiedPerson, None, or an exception)."""
    calls = []
    answer = {"value": NORDEA}

    def verified_person(access_token):
        calls.append(access_token)
        if isinstance(answer["value"], Exception):
            raise answer["value"]
        return answer["value"]

    monkeypatch.setattr(profile_service, "verified_person", verified_person)
    answer["calls"] = calls
    return answer


HELSINKI_PERSON = {"sub": "s1", "given_name": "Portaalia Nordea", "family_name": "Testaaja", "email": "a@example.fi",
                   "sid": "x", "amr": "suomi_fi", "loa": "substantial"}
# A Katso ID sign-in of the development provider: a person (organisation claims, if any, are not read).
HELSINKI_ORGANISATION = {"sub": "s2", "given_name": "Portaalia Nordea", "family_name": "Testaaja", "amr": "katso",
                         "loa": "substantial", "business_id": "9876543-0", "organisation_name": "Testiyritys Oy",
                         "organisation_roles": ["TJ"]}


# --- helsinki (the default) -----------------------------------------------------------------------


def test_helsinki_reads_the_code_from_the_profile_service_with_the_access_token(profile):
    identity = identity_from_claims(HELSINKI_PERSON, access_token="at-1")
    assert identity.customer == "personal" and identity.method == "eid" and identity.loa == "substantial"
    assert identity.personal_identity_code == HETU and identity.full_name == "Portaalia Nordea Testaaja"
    assert profile["calls"] == ["at-1"]


@pytest.mark.parametrize("amr", ["suomi_fi", "heltunnistussuomifi", ["suomi_fi"], ["mfa", "heltunnistussuomifi"]])
def test_helsinki_amr_is_a_string_or_a_list(profile, amr):
    assert identity_from_claims({**HELSINKI_PERSON, "amr": amr}, access_token="at").method == "eid"


@pytest.mark.parametrize("amr", ["helsinki_tunnus", ["pwd"], [], "", None, 7, {"m": "suomi_fi"}, ["suomi_fi", 3]])
def test_an_unknown_missing_or_malformed_method_is_refused(profile, amr):
    claims = {k: v for k, v in {**HELSINKI_PERSON, "amr": amr}.items() if v is not None}
    with pytest.raises(InvalidIdentity) as refused:
        identity_from_claims(claims, access_token="at")
    assert refused.value.reason == "invalid-identity" and profile["calls"] == []


def test_a_corporate_sign_in_identifies_a_person_and_reads_no_organisation_claim(profile):
    identity = identity_from_claims(HELSINKI_ORGANISATION, customer="corporate", access_token="at")
    assert identity.customer == "corporate" and identity.method == "organisation"
    assert identity.personal_identity_code == HETU and profile["calls"] == ["at"]  # the person's code
    assert (identity.business_id, identity.organisation_name, identity.roles) == (None, None, ())
    assert not identity.organisation_chosen
    with pytest.raises(ValueError):
        identity.identity_hash  # no profile to find before the company is chosen (from e-Authorizations)
    chosen = identity.for_organisation("9876543-0", "Testiyritys Oy", ("NIMKO",))
    assert chosen.organisation_chosen and chosen.roles == ("NIMKO",) and chosen.personal_identity_code == HETU
    assert chosen.actor_hash == identity.actor_hash != chosen.identity_hash  # the person acts; the company's profile
    person = identity_from_claims(HELSINKI_PERSON, access_token="at")
    assert person.identity_hash == person.actor_hash == identity.actor_hash  # one human, one actor


def test_the_brokers_personal_identification_serves_a_corporate_customer_too(profile):
    identity = identity_from_claims(HELSINKI_PERSON, customer="corporate", access_token="at")
    assert identity.customer == "corporate" and identity.method == "eid"


def test_the_organisation_method_is_refused_for_a_personal_customer(profile):
    with pytest.raises(InvalidIdentity) as refused:
        identity_from_claims(HELSINKI_ORGANISATION, customer="personal", access_token="at")
    assert refused.value.reason == "invalid-identity" and profile["calls"] == []


@pytest.mark.parametrize("loa", ["low", None, "LOW", "medium", ["substantial"], 2])
def test_below_the_minimum_or_no_known_level_is_refused_before_the_profile_service(profile, loa):
    claims = {k: v for k, v in {**HELSINKI_PERSON, "loa": loa}.items() if v is not None}
    with pytest.raises(InvalidIdentity) as refused:
        identity_from_claims(claims, access_token="at")
    assert profile["calls"] == []
    if loa is None or isinstance(loa, str):
        assert isinstance(refused.value, LevelTooLow) and refused.value.reason == "loa-too-low"
        assert "210281" not in str(refused.value)


def test_the_minimum_levels_are_settings(profile, configure):
    configure(identity_min_loa_personal="high")
    with pytest.raises(LevelTooLow):
        identity_from_claims(HELSINKI_PERSON, access_token="at")
    assert identity_from_claims({**HELSINKI_PERSON, "loa": "high"}, access_token="at").loa == "high"
    configure(identity_min_loa_organisation="high")
    with pytest.raises(LevelTooLow):
        identity_from_claims(HELSINKI_ORGANISATION, customer="corporate", access_token="at")
    assert identity_from_claims({**HELSINKI_ORGANISATION, "loa": "high"}, customer="corporate", access_token="at").loa == "high"


def test_a_low_level_never_asks_the_profile_service_even_when_allowed(profile, configure):
    configure(identity_min_loa_personal="low")  # the service releases the code only at substantial or high
    with pytest.raises(LevelTooLow):
        identity_from_claims({**HELSINKI_PERSON, "loa": "low"}, access_token="at")
    assert profile["calls"] == []


def test_the_profile_service_refusing_to_release_is_a_level_refusal(profile):
    profile["value"] = profile_service.NotReleased("permission denied")
    with pytest.raises(LevelTooLow):
        identity_from_claims(HELSINKI_PERSON, access_token="at")


def test_another_person_from_the_profile_service_is_refused(profile):
    profile["value"] = profile_service.VerifiedPerson("Åsa Kristina", "Söderström-Testare", "Åsa", "150376-904V")
    with pytest.raises(ProfileMismatch) as refused:
        identity_from_claims(HELSINKI_PERSON, access_token="at")
    assert refused.value.reason == "profile-mismatch"


@pytest.mark.parametrize("given", ["Portaalia Nordea", "Portaalia", "Nordea", "  portaalia   NORDEA "])
def test_the_broker_may_release_the_first_names_or_the_calling_name(profile, given):
    assert identity_from_claims({**HELSINKI_PERSON, "given_name": given}, access_token="at").personal_identity_code == HETU


@pytest.mark.parametrize("answer", [None, profile_service.VerifiedPerson("Portaalia Nordea", "Testaaja", "", "210281-9989")])
def test_no_or_an_invalid_code_from_the_profile_service_is_refused(profile, answer):
    profile["value"] = answer
    with pytest.raises(InvalidIdentity):
        identity_from_claims(HELSINKI_PERSON, access_token="at")


def test_without_an_access_token_the_profile_service_cannot_be_asked(profile):
    with pytest.raises(InvalidIdentity):
        identity_from_claims(HELSINKI_PERSON)
    assert profile["calls"] == []


def test_the_profile_service_down_propagates(profile):
    profile["value"] = profile_service.ProfileServiceUnavailable("POST x: TimeoutError")
    with pytest.raises(profile_service.ProfileServiceUnavailable):
        identity_from_claims(HELSINKI_PERSON, access_token="at")


def test_helsinki_with_a_configured_code_claim_reads_the_claim(profile, configure):
    configure(identity_claim_personal_identity_code="hetu")
    identity = identity_from_claims({**HELSINKI_PERSON, "hetu": HETU})
    assert identity.personal_identity_code == HETU and profile["calls"] == []
    with pytest.raises(InvalidIdentity):
        identity_from_claims(HELSINKI_PERSON)  # the claim is missing


@pytest.mark.parametrize("changes", [{"given_name": None}, {"family_name": ""}, {"given_name": 5},
                                     {"family_name": "x" * 201}, {"given_name": ["Portaalia"]}])
def test_missing_or_wrong_typed_names_are_refused(profile, changes):
    claims = {k: v for k, v in {**HELSINKI_PERSON, **changes}.items() if v is not None}
    with pytest.raises(InvalidIdentity):
        identity_from_claims(claims, access_token="at")


def test_claims_that_are_not_an_object_are_refused():
    with pytest.raises(InvalidIdentity):
        identity_from_claims(["sub"])


# --- suomifi-oidc ---------------------------------------------------------------------------------

SUOMIFI = {"sub": "s", "acr": "http://ftn.ficora.fi/2017/loa3", "urn:oid:1.2.246.21": HETU,
           "urn:oid:2.5.4.42": "Portaalia", "urn:oid:2.5.4.4": "Testaaja"}


def test_suomifi_oidc(configure, profile):
    configure(identity_preset="suomifi-oidc")
    identity = identity_from_claims(SUOMIFI)
    assert (identity.customer, identity.method, identity.loa, identity.personal_identity_code) == ("personal", "eid", "high", HETU)
    assert identity.full_name == "Portaalia Testaaja" and profile["calls"] == []
    assert identity_from_claims({**SUOMIFI, "acr": "http://eidas.europa.eu/LoA/substantial"}).loa == "substantial"
    for acr in ("http://eidas.europa.eu/LoA/low", "urn:oid:1.2.246.517.3002.110.999", None):
        with pytest.raises(LevelTooLow):
            identity_from_claims({k: v for k, v in {**SUOMIFI, "acr": acr}.items() if v is not None})
    with pytest.raises(InvalidIdentity):
        identity_from_claims({**SUOMIFI, "urn:oid:1.2.246.21": "210281-9989"})
    # organisation claims mean nothing here: Suomi.fi e-Identification identifies persons
    assert identity_from_claims({**SUOMIFI, "business_id": "9876543-0"}).customer == "personal"


# --- generic --------------------------------------------------------------------------------------


def test_generic_with_every_name_configured(configure, profile):
    configure(identity_preset="generic", identity_claim_personal_identity_code="pic",
              identity_claim_given_name="first", identity_claim_family_name="last", identity_claim_method="how",
              identity_claim_loa="level", identity_methods='{"BANK": "bank", "MOBIILI": "mobile", "YRITYS": "organisation"}',
              identity_loa_values='{"2": "substantial", "3": "high", "1": "low"}')
    person = identity_from_claims({"pic": HETU, "first": "P", "last": "T", "how": "MOBIILI", "level": "2"})
    assert (person.method, person.loa, person.personal_identity_code) == ("mobile", "substantial", HETU)
    organisation = identity_from_claims({"pic": HETU, "first": "K", "last": "T", "how": ["YRITYS"], "level": "3",
                                         "business_id": "9876543-0", "organisation_roles": ["NIMKO"]}, customer="corporate")
    assert organisation.customer == "corporate" and organisation.method == "organisation" and organisation.loa == "high"
    assert organisation.business_id is None and organisation.roles == ()  # never from claims
    with pytest.raises(LevelTooLow):
        identity_from_claims({"pic": HETU, "first": "P", "last": "T", "how": "BANK", "level": "1"})
    with pytest.raises(InvalidIdentity):
        identity_from_claims({"pic": HETU, "first": "P", "last": "T", "how": "bank", "level": "2"})  # table is exact
    assert claims_needed() == {"pic", "first", "last", "how", "level"}


def test_generic_defaults_are_the_portals_earlier_vocabulary(configure):
    configure(identity_preset="generic")
    identity = identity_from_claims({"amr": ["card"], "loa": "high", "given_name": "P", "family_name": "T",
                                     "national_id": HETU})
    assert identity.method == "card" and identity.personal_identity_code == HETU


def test_without_a_level_claim_the_minimum_cannot_be_checked(configure):
    configure(identity_preset="generic", identity_claim_loa="")
    identity = identity_from_claims({"amr": "bank", "given_name": "P", "family_name": "T", "national_id": HETU})
    assert identity.loa is None


@pytest.mark.parametrize(("setting", "value"), [
    ("identity_methods", "not json"), ("identity_methods", '{"x": "password"}'), ("identity_methods", '["bank"]'),
    ("identity_loa_values", '{"x": "medium"}'),
])
def test_a_malformed_table_setting_is_an_error_not_a_silent_default(configure, setting, value):
    configure(**{setting: value})
    with pytest.raises(ValueError):
        mapping_module.mapping()
    with pytest.raises(InvalidIdentity) as refused:  # at a sign-in: refused and logged, never a 500
        identity_from_claims(HELSINKI_PERSON, access_token="at")
    assert refused.value.reason == "configuration-error"


def test_claims_needed_per_preset(configure):
    assert claims_needed() == {"given_name", "family_name", "amr", "loa"}  # helsinki: the code is not a claim
    configure(identity_claim_personal_identity_code="hetu")
    assert claims_needed() == {"given_name", "family_name", "amr", "loa", "hetu"}
    configure(identity_preset="suomifi-oidc", identity_claim_personal_identity_code=None)
    assert claims_needed() == {"urn:oid:1.2.246.21", "urn:oid:2.5.4.42", "urn:oid:2.5.4.4", "acr"}


def test_an_identity_of_an_older_session_without_loa_still_loads():
    from chalicelib.identity.claims import Identity

    old = {"customer": "personal", "method": "bank", "given_name": "P", "family_name": "T",
           "personal_identity_code": HETU, "business_id": None, "organisation_name": None, "roles": []}
    assert Identity.from_json(old).loa is None
