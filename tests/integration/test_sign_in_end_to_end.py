"""Every identification method end to end: the portal's sign-in, the bundled development identity
provider's screens, the code exchange over the portal's real HTTP seam, registration, the front page."""
from __future__ import annotations

import html
import re
from urllib.parse import urlencode, urlsplit

import pytest

from chalicelib.config import settings
from tests.acting import in_process_authorizations, through_choice

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def portal(client, monkeypatch):
    """Route the relying party's HTTP calls (discovery, JWKS, token) and the profile-service client's
    (token exchange, GraphQL) to the same app in process: the default configuration, end to end."""
    from chalicelib.identity import http, oidc, profile_service

    base = settings().public_base_url

    def transport(method, url, body, headers):
        assert url.startswith(base), url
        path = url[len(base):]
        answer = client.get(path, headers=headers) if method == "GET" else client.post(path, body=body, headers=headers)
        return http.HttpResponse(answer.status_code, answer.body)

    def profile_transport(method, url, body, headers, timeout):
        answer = transport(method, url, body, headers)
        return profile_service.Answer(answer.status, answer.body)

    monkeypatch.setattr(http, "transport", transport)
    monkeypatch.setattr(profile_service, "transport", profile_transport)
    in_process_authorizations(monkeypatch, client)
    oidc.clear_cache()
    yield client
    oidc.clear_cache()


class Browser:
    def __init__(self, client):
        self.client = client
        self.jar = {"lang": "en"}
        self.interaction = None

    def _send(self, method, url, fields=None):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}
        if method == "GET":
            response = self.client.get(path, headers=headers)
        else:
            response = self.client.post(path, body=urlencode(fields or {}), headers={**headers, **FORM})
        cookies = response.headers.get("Set-Cookie") or []
        for cookie in cookies if isinstance(cookies, list) else [cookies]:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value:
                self.jar[name] = value
            else:
                self.jar.pop(name, None)
        found = re.search(r'name="interaction" value="([^"]+)"', response.body.decode())
        if found:
            self.interaction = found.group(1)
        return response

    def get(self, url):
        return self._send("GET", url)

    def idp(self, path, **fields):
        return self._send("POST", f"/dev-idp{path}", {"interaction": self.interaction, **fields})

    def follow_success(self, response):
        page = response.body.decode()
        assert response.status_code == 200 and 'data-auto-continue="3"' in page, page[:400]
        href = html.unescape(re.search(r'href="([^"]+)" data-auto-continue="3"', page).group(1))
        return self.get(href)


def chosen(browser, response):
    """Through whom-to-act-for (issue 17) to the answer that goes on to the return page."""
    return through_choice(browser.get, lambda path, fields: browser._send("POST", path, fields), response)


def sign_in_with(browser, customer, steps, next_path="/e-services/dog-declaration"):
    started = browser.get(f"/sign-in/start?{urlencode({'customer': customer, 'next': next_path})}")
    assert started.status_code == 303
    browser.get(started.headers["Location"])  # the provider's first screen
    *before, last = steps
    for path, fields in before:
        browser.idp(path, **fields)
    return browser.follow_success(browser.idp(last[0], **last[1]))


def register(browser):
    form = browser.get("/register").body.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return browser._send("POST", "/register", {"email": "a@example.fi", "methods": "email", "language": "en",
                                               "consent": "yes", "csrf_token": csrf})


METHODS = {
    "bank": ("personal", [("/bank", {}), ("/bank/op", {}), ("/bank/op", {"action": "ok", "user_id": "123456", "code": "1234"})],
             "Welcome, Portaalia Nordea Testaaja"),
    "mobile": ("personal", [("/mobile", {}), ("/mobile", {"action": "send", "phone": "+358401230002", "anti_jam": ""}),
                            ("/mobile", {"action": "confirm"})], "Welcome, Åsa Kristina Söderström-Testare"),
    "card": ("personal", [("/card", {}), ("/card", {"action": "ok", "certificate": "nordea-testaaja", "pin": "1234"})],
             "Welcome, Portaalia Nordea Testaaja"),
    "katso": ("corporate", [("/katso", {"action": "ok", "username": "testiyritys-kayttaja", "password": "katso1234"})],
              "You are acting for Testiyritys Oy (Business ID "),
}
# The development provider speaks the City broker's vocabulary: Suomi.fi's tools all say
# amr "suomi_fi" (the portal's "eid"); Katso is the organisation identification.
PORTAL_METHOD = {"bank": "eid", "mobile": "eid", "card": "eid", "katso": "organisation"}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_identification_method_signs_in_to_the_portal(portal, method):
    customer, steps, greeting = METHODS[method]
    browser = Browser(portal)
    arrived = sign_in_with(browser, customer, steps)
    if customer == "corporate":  # the company from e-Authorizations first: Kaisa has one, chosen without asking
        assert arrived.headers["Location"] == "/act-for?next=%2Fe-services%2Fdog-declaration"
        arrived = chosen(browser, arrived)
    assert arrived.status_code == 303 and arrived.headers["Location"] == "/register"
    registered = chosen(browser, register(browser))
    assert registered.status_code == 303 and registered.headers["Location"] == "/e-services/dog-declaration?notice=registered"
    assert greeting in browser.get("/").body.decode()

    from chalicelib.models.identity import ProfileModel

    (profile,) = list(ProfileModel.scan())  # scan-ok: test inspection
    assert profile.last_login_method == PORTAL_METHOD[method]
    from chalicelib.identity.claims import Identity
    from chalicelib.models.identity import IdentityModel

    if customer == "personal":  # the code came from the profile service's stand-in, not a claim
        from chalicelib.devidp.identities import PERSONS

        person = next(p for p in PERSONS if greeting.endswith(f"{p.given_name} {p.family_name}"))
        key = Identity("personal", "eid", "x", "y", person.national_id).identity_hash
    else:  # the organisation's profile, found by the Business ID that e-Authorizations gave
        assert profile.business_id == "9876543-0" and profile.personal_identity_code is None
        key = Identity("corporate", "organisation", "x", "y", business_id="9876543-0").identity_hash
    assert IdentityModel.get(key).profile_id == profile.profile_id


def _profiles():
    from chalicelib.models.identity import ProfileModel

    return list(ProfileModel.scan())  # scan-ok: test inspection


@pytest.mark.parametrize("language, message", [
    ("fi", "Käyttämäsi tunnistustapa ei ole riittävän vahva"),
    ("sv", "Identifieringsmetoden du använde är inte tillräckligt stark"),
    ("en", "The identification method you used is not strong enough"),
])
def test_a_sign_in_below_the_minimum_level_is_refused_with_a_clear_page(portal, monkeypatch, language, message):
    import logging

    class Lines(logging.Handler):
        lines: list[str] = []

        def emit(self, record):
            self.lines.append(record.getMessage())

    handler = Lines()
    handler.lines = []
    logging.getLogger("portal.identity").addHandler(handler)
    monkeypatch.setattr(settings(), "identity_min_loa_personal", "high")  # the provider says substantial
    customer, steps, _ = METHODS["bank"]
    browser = Browser(portal)
    browser.jar["lang"] = language
    arrived = sign_in_with(browser, customer, steps)
    assert arrived.status_code == 400 and message in arrived.body.decode()
    assert "sid" not in browser.jar and _profiles() == []
    logging.getLogger("portal.identity").removeHandler(handler)
    refused = [line for line in handler.lines if "sign-in refused" in line]
    assert refused and "loa-too-low" in refused[0] and "210281" not in refused[0] and "Testaaja" not in refused[0]


def test_the_profile_service_down_at_sign_in_shows_a_page_and_registers_nothing(portal, monkeypatch):
    from chalicelib.identity import profile_service

    def down(method, url, body, headers, timeout):
        raise profile_service.ProfileServiceUnavailable(f"{method} {url}: ConnectionRefusedError")

    monkeypatch.setattr(profile_service, "transport", down)
    customer, steps, _ = METHODS["bank"]
    browser = Browser(portal)
    arrived = sign_in_with(browser, customer, steps)
    assert arrived.status_code == 503 and "did not answer in time" in arrived.body.decode()
    assert "sid" not in browser.jar and _profiles() == []


def test_a_profile_service_answering_about_someone_else_is_refused(portal, monkeypatch):
    from chalicelib.devidp import identities

    asa = identities.person("asa-testare")
    monkeypatch.setattr(identities, "person_by_subject", lambda sub: asa)  # the wrong person's profile
    customer, steps, _ = METHODS["bank"]  # Nordea Testaaja signs in
    browser = Browser(portal)
    arrived = sign_in_with(browser, customer, steps)
    assert arrived.status_code == 400 and "could not be verified" in arrived.body.decode()
    assert "sid" not in browser.jar and _profiles() == []


def test_the_second_sign_in_lands_on_the_deep_link_directly(portal):
    customer, steps, _ = METHODS["bank"]
    first = Browser(portal)
    sign_in_with(first, customer, steps)
    register(first)
    second = Browser(portal)
    arrived = sign_in_with(second, customer, steps, next_path="/e-services/dog-declaration/form")
    assert arrived.headers["Location"] == "/act-for?next=%2Fe-services%2Fdog-declaration%2Fform"  # issue 17
    assert chosen(second, arrived).headers["Location"] == "/e-services/dog-declaration/form"
    profile = second.get("/profile").body.decode()
    assert "Previous sign-in" in profile and "This is your first sign-in." not in profile  # the first one


def test_cancel_at_the_provider_returns_with_a_clear_message(portal):
    browser = Browser(portal)
    started = browser.get("/sign-in/start?customer=personal")
    first_screen = browser.get(started.headers["Location"]).body.decode()
    cancel = html.unescape(re.search(r'href="([^"]*error=access_denied[^"]*)"', first_screen).group(1))
    answer = browser.get(cancel)
    assert answer.status_code == 400
    assert "You cancelled the identification" in answer.body.decode()


# Return paths with non-ASCII characters (issue 15): their Location was written unencoded, so the
# local server closed the connection (or sent a raw 0xE4 byte) and a link straight to the start lost
# the callback's session. Each through the whole sign-in, first time (registration) and again.
RETURN_PATHS = [
    ("/sign-in?next=/%E3%80%82evil.example", "/%E3%80%82evil.example"),
    ("/sign-in?next=/%C3%A4iti", "/%C3%A4iti"),
    ("/sign-in/start?customer=personal&next=%2F%E3%80%82", "/%E3%80%82"),
]


@pytest.mark.parametrize("link, arrives", RETURN_PATHS, ids=["fullwidth-stop-host", "a-umlaut", "start-link"])
def test_non_ascii_return_paths_survive_the_whole_sign_in(portal, link, arrives):
    _, steps, greeting = METHODS["bank"]
    for time in ("first", "again"):
        browser = Browser(portal)
        if link.startswith("/sign-in?"):
            page = browser.get(link).body.decode()
            start = html.unescape(re.search(r'href="(/sign-in/start\?customer=personal[^"]*)"', page).group(1))
            assert start.isascii()
        else:
            start = link
        started = browser.get(start)
        assert started.status_code == 303
        browser.get(started.headers["Location"])
        *before, last = steps
        for path, fields in before:
            browser.idp(path, **fields)
        arrived = browser.follow_success(browser.idp(last[0], **last[1]))
        assert arrived.status_code == 303 and "sid" in browser.jar
        expected = arrives
        if time == "first":
            assert arrived.headers["Location"] == "/register"
            arrived = register(browser)
            expected = f"{arrives}?notice=registered"  # "Registration complete" on arrival, after the choice
        arrived = chosen(browser, arrived)  # whom to act for (issue 17): Nordea Testaaja chooses herself
        assert arrived.headers["Location"] == expected  # percent-encoded, same site, plain ASCII
        assert greeting.split(",")[0] in browser.get("/").body.decode()  # the session holds


def test_signing_out_ends_the_development_providers_state_and_the_next_sign_in_asks_again(portal):
    customer, steps, _ = METHODS["bank"]
    browser = Browser(portal)
    sign_in_with(browser, customer, steps)
    register(browser)
    page = browser.get("/").body.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.jar["devidp_interaction"] = "left-over"  # what the provider's screens left in this browser
    out = browser._send("POST", "/sign-out", {"csrf_token": csrf})
    location = out.headers["Location"]
    assert location.startswith(f"{settings().oidc_issuer}/end-session?") and "id_token_hint=" in location
    assert "sid" not in browser.jar and browser.jar["reauth"] == "login"
    back = browser.get(location)
    assert back.status_code == 303 and "devidp_interaction" not in browser.jar
    assert back.headers["Location"].startswith(f"{settings().post_logout_redirect_uri}?state=")
    assert browser.get(back.headers["Location"]).status_code == 200
    started = browser.get("/sign-in/start?customer=personal")
    assert "prompt=login" in started.headers["Location"]
    assert browser.get(started.headers["Location"]).status_code == 200  # the method choice, not an error


def test_an_unregistered_post_logout_address_is_refused_by_the_development_provider(portal):
    answer = portal.get("/dev-idp/end-session?" + urlencode({"post_logout_redirect_uri": "https://evil.example/",
                                                             "state": "s"}))
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_continue_pressed_while_the_automatic_continue_is_under_way(portal):
    """The browser replaced the first navigation to the callback by the second: the first answer
    (with the session cookie) never arrived. The second lands where the first went, signed in."""
    customer, steps, _ = METHODS["bank"]
    browser = Browser(portal)
    started = browser.get(f"/sign-in/start?{urlencode({'customer': customer, 'next': '/e-services'})}")
    browser.get(started.headers["Location"])
    *before, last = steps
    for path, fields in before:
        browser.idp(path, **fields)
    success = browser.idp(last[0], **last[1]).body.decode()
    href = html.unescape(re.search(r'href="([^"]+)" data-auto-continue="3"', success).group(1))
    jar = dict(browser.jar)
    first = browser.get(href)  # the automatic continue; its answer is lost
    browser.jar = jar
    second = browser.get(href)  # "Continue to the service"
    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"] == "/register"
    assert "sid" in browser.jar and browser.get("/register").status_code == 200
