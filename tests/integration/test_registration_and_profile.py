"""Registration on the first sign-in and My profile."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.fake_idp import ORGANISATION_USER, csrf_of, sign_in

FORM = "application/x-www-form-urlencoded"


def get(client, path, sid, lang="en"):
    return client.get(path, headers={"Cookie": f"sid={sid}; lang={lang}"})


def post(client, path, sid, fields, lang="en", csrf=True):
    if csrf:
        page = get(client, "/profile" if path.startswith("/profile") else "/register", sid).body.decode()
        fields = {**fields, "csrf_token": csrf_of(page)}
    return client.post(path, body=urlencode(fields, doseq=True),
                       headers={"Cookie": f"sid={sid}; lang={lang}", "Content-Type": FORM})


def profiles_stored():
    from chalicelib.models.identity import IdentityModel, ProfileModel

    return list(ProfileModel.scan()), list(IdentityModel.scan())  # scan-ok: test inspection


VALID = {"email": "matti@example.fi", "phone": "", "methods": ["email"], "language": "sv", "consent": "yes"}


def test_registration_creates_the_profile_keyed_by_an_opaque_id(client, idp):
    sid = sign_in(client, idp, register=False, next_path="/e-services/dog-declaration")
    response = post(client, "/register", sid, VALID)
    assert response.status_code == 303
    # Whom to act for first (issue 17), then "Registration complete" on the return page
    assert response.headers["Location"] == "/act-for?next=%2Fe-services%2Fdog-declaration&notice=registered"
    (profile,), (identity,) = profiles_stored()
    assert profile.personal_identity_code == "210281-9988"
    assert "210281" not in identity.identity_hash and "210281" not in profile.profile_id
    assert (profile.email, profile.notify_methods, profile.notify_language) == ("matti@example.fi", ["email"], "sv")
    home = get(client, "/", sid).body.decode()
    assert "Welcome, Portaalia Nordea Testaaja" in home
    for item in ("My folder", "My profile", "Instructions", "E-services", "Health care", "Government e-services", "Popular services", "Ask"):
        assert item in home


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({**VALID, "consent": ""}, "consent", "Accept that a profile is created"),
        ({**VALID, "email": "", "phone": "", "methods": []}, "email", "Both the e-mail address and the mobile phone number are empty"),
        ({**VALID, "email": "", "phone": "040 123 4567", "methods": ["sms"]}, "phone", "international format"),
        ({**VALID, "phone": "+46 70 123 4567", "methods": ["sms", "email"]}, "phone", "international format"),
        ({**VALID, "methods": ["sms"]}, "methods", "need a mobile phone number"),
        ({**VALID, "email": "", "phone": "+358401234567", "methods": ["email"]}, "methods", "need an e-mail address"),
        ({**VALID, "email": "not-an-address"}, "email", "name@example.fi"),
        ({**VALID, "methods": []}, "methods", "Choose how you want to be notified"),
        ({**VALID, "language": "de"}, "language", "Choose the language"),
    ],
)
def test_registration_refuses_invalid_details_and_keeps_the_input(client, idp, fields, field, message):
    sid = sign_in(client, idp, register=False)
    response = post(client, "/register", sid, fields)
    assert response.status_code == 400
    body = response.body.decode()
    assert message in body
    assert 'id="error-summary"' in body
    if fields["email"]:
        assert f'value="{fields["email"]}"' in body
    assert profiles_stored() == ([], [])


def test_phone_numbers_are_stored_in_international_form(client, idp):
    sid = sign_in(client, idp, register=False)
    assert post(client, "/register", sid, {**VALID, "email": "", "phone": "+358 40 123 4567", "methods": ["sms"]}).status_code == 303
    (profile,), _ = profiles_stored()
    assert profile.phone == "+358401234567" and profile.email is None


def test_cancelling_registration_signs_out_and_stores_nothing(client, idp):
    sid = sign_in(client, idp, register=False)
    response = post(client, "/register/cancel", sid, {})
    assert response.status_code == 303 and response.headers["Location"] == "/signed-out?reason=cancelled"
    assert profiles_stored() == ([], [])
    assert get(client, "/register", sid).headers["Location"] == "/sign-in"


def test_unregistered_sessions_cannot_reach_signed_in_pages(client, idp):
    sid = sign_in(client, idp, register=False)
    assert get(client, "/profile", sid).headers["Location"] == "/register"


def test_the_second_sign_in_goes_straight_in(client, idp):
    sign_in(client, idp)
    sid = sign_in(client, idp, register=False)
    assert "Welcome" in get(client, "/", sid).body.decode()
    assert len(profiles_stored()[0]) == 1


def test_two_people_of_one_organisation_share_its_profile(client, idp):
    first = sign_in(client, idp, ORGANISATION_USER)
    second = sign_in(client, idp, {**ORGANISATION_USER, "given_name": "Teppo", "family_name": "Testaaja",
                                   "national_id": "111175-9532", "organisation_roles": ["TJ"]}, register=False)
    assert "Welcome, Teppo Testaaja" in get(client, "/", second).body.decode()
    assert "Testiyritys Oy" in get(client, "/profile", first).body.decode()
    profiles, identities = profiles_stored()
    assert len(profiles) == 1 and profiles[0].kind == "organisation" and profiles[0].business_id == "0201256-6"
    # The personal sign-in of the same person is a different profile and folder.
    personal = sign_in(client, idp, {"amr": ["bank"], "acr": "personal", "given_name": "Teppo",
                                     "family_name": "Testaaja", "national_id": "010190-900P"}, register=True)
    assert "Testiyritys" not in get(client, "/", personal).body.decode()
    assert len(profiles_stored()[0]) == 2


def test_my_profile_shows_identity_read_only_and_the_contact_details(client, idp):
    sid = sign_in(client, idp, contact={"phone": "+358401234567", "methods": ["email", "sms"], "language": "en"})
    body = get(client, "/profile", sid).body.decode()
    for text in ("Portaalia Nordea Testaaja", "210281-9988", "21.2.1981", "testaaja@example.fi", "+358401234567",
                 "E-mail, Text message", "English", "This is your first sign-in.",
                 "Sign-ins, the current one first"):
        assert text in body, text
    assert 'name="given_name"' not in get(client, "/profile/edit", sid).body.decode()


def test_editing_the_profile_saves_contact_details_but_never_the_name(client, idp):
    sid = sign_in(client, idp)
    response = post(client, "/profile/edit", sid, {"email": "uusi@example.fi", "phone": "+358 50 765 4321",
                                                   "methods": ["sms"], "language": "sv",
                                                   "given_name": "Hacker", "family_name": "X"})
    assert response.status_code == 303 and response.headers["Location"] == "/profile?saved=1"
    (profile,), _ = profiles_stored()
    assert (profile.email, profile.phone, profile.notify_methods, profile.notify_language) == (
        "uusi@example.fi", "+358507654321", ["sms"], "sv")
    assert (profile.given_name, profile.family_name) == ("Portaalia Nordea", "Testaaja")


def test_profile_edit_validates_like_registration(client, idp):
    sid = sign_in(client, idp)
    response = post(client, "/profile/edit", sid, {"email": "", "phone": "0401234567", "methods": ["sms"], "language": "fi"})
    assert response.status_code == 400
    assert 'value="0401234567"' in response.body.decode()
    (profile,), _ = profiles_stored()
    assert profile.email == "testaaja@example.fi"


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client):
    response = client.get("/profile/edit?x=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=%2Fprofile%2Fedit%3Fx%3D1"
