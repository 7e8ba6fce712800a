"""The public pages through the Chalice test client and moto: languages, text size, errors, headers."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from chalicelib.clock import helsinki_today

PAGES = ["/", "/e-services", "/e-services/dog-declaration", "/instructions", "/sign-in", "/feedback", "/accessibility",
         "/supported-browsers", "/security"]


def html(response) -> str:
    return response.body.decode("utf-8")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_public_page_answers_in_each_language(client, path, language):
    response = client.get(f"{path}?lang={language}")
    assert response.status_code == 200
    body = html(response)
    assert f'<html lang="{language}"' in body
    assert response.headers["Content-Language"] == language
    assert "<h1" in body


def test_finnish_is_the_default_and_a_chosen_language_is_remembered(client):
    assert '<html lang="fi"' in html(client.get("/"))
    chosen = client.get("/e-services?lang=sv")
    cookies = chosen.headers["Set-Cookie"]
    cookies = cookies if isinstance(cookies, list) else [cookies]
    assert any(c.startswith("lang=sv;") and "SameSite=Lax" in c for c in cookies)
    later = client.get("/instructions", headers={"Cookie": "lang=sv"})
    assert '<html lang="sv"' in html(later)
    assert "E-tjänster" in html(later)


def test_an_unknown_language_falls_back_to_finnish(client):
    response = client.get("/?lang=xx", headers={"Cookie": "lang=<script>"})
    assert '<html lang="fi"' in html(response)
    assert "Set-Cookie" not in response.headers


def test_text_size_is_chosen_and_remembered(client):
    response = client.get("/?text=xl")
    assert 'class="text-size-xl"' in html(response)
    assert 'class="text-size-l"' in html(client.get("/", headers={"Cookie": "textsize=l"}))
    assert 'class="text-size-m"' in html(client.get("/", headers={"Cookie": "textsize=huge"}))


def test_language_links_keep_the_search(client):
    body = html(client.get("/e-services?q=koira&lang=en"))
    assert 'href="/e-services?q=koira&amp;lang=sv"' in body


def test_catalogue_search_and_filters(client):
    body = html(client.get("/e-services?q=hundanm%C3%A4lan&lang=sv"))
    assert "Hundanmälan" in body
    assert "/e-services/dog-declaration" in body
    assert 'href="/e-services/dog-declaration/form"' in body


def test_empty_result_says_so(client):
    body = html(client.get("/e-services?q=qqqxxyyzz&lang=en"))
    assert "No e-services matched your search" in body
    assert "0 e-services" in body


@pytest.mark.parametrize(
    "query",
    [
        "q=" + "a" * 10000,
        "q=%00%01%02",
        "q=%E2%80%AE%E2%80%8B",
        "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "q={{7*7}}",
        "topic=%3Cb%3E&group=../../etc/passwd",
        "q=%ff%fe",
    ],
)
def test_odd_searches_never_fail_and_are_escaped(client, query):
    response = client.get(f"/e-services?{query}")
    assert response.status_code == 200
    body = html(response)
    assert "<script>alert(1)</script>" not in body
    assert "49" not in re.findall(r'value="([^"]*)"', body)


def test_service_page_shows_every_field(client):
    body = html(client.get("/e-services/dog-declaration?lang=en"))
    for text in [
        "Dog declaration",
        "How the processing continues",
        "Processing time",
        "Period of validity",
        "Responsible division",
        "Urban Environment Division",
        "Contact",
        "Prerequisites",
        "Available languages",
        "Alternative service methods",
        "Saved in the e-services folder",
        "Feedback to the division",
        "Go to the e-service",
        "Dog declaration (PDF form)",
    ]:
        assert text in body, text


def test_unknown_service_is_a_404_page_in_the_visitors_language(client):
    response = client.get("/e-services/no-such-service", headers={"Cookie": "lang=sv"})
    assert response.status_code == 404
    assert '<html lang="sv"' in html(response)
    assert response.headers["Content-Type"].startswith("text/html")


def test_go_to_the_e_service_needs_sign_in_and_comes_back(client):
    response = client.get("/e-services/dog-declaration/form")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=%2Fe-services%2Fdog-declaration%2Fform"
    # Whether a form exists is told only after signing in (test_forms covers the 404).
    assert client.get("/e-services/nothing-here/form").status_code == 303


def test_pages_carry_security_headers_and_are_not_cached(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_assets_are_content_hashed_and_cached_for_long(client):
    body = html(client.get("/"))
    href = re.search(r'href="(/static/portal\.[0-9a-f]{12}\.css)"', body).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert "immutable" in response.headers["Cache-Control"]
    assert ".hds-button" in html(response)


@pytest.mark.parametrize("name", ["manifest.json", "..%2F..%2Fapp.py", "portal.css", "portal.000000000000.css"])
def test_only_built_assets_are_served(client, name):
    assert client.get(f"/static/{name}").status_code == 404


def test_the_sign_in_page_offers_personal_and_corporate_customers(client):
    body = html(client.get("/sign-in?customer=corporate&lang=en"))
    assert "Personal customers" in body and "Corporate customers" in body
    assert "sign-in-choice--chosen" in body


def test_the_menu_marks_the_current_page_and_folds_on_phones(client):
    body = html(client.get("/e-services/dog-declaration?lang=en"))
    assert '<a class="main-menu__link" href="/e-services" aria-current="page">' in body
    assert "<summary>Menu</summary>" in body


class TestAnnouncements:
    def publish(self, starts, ends, title="Maintenance break"):
        from chalicelib.announcements import publish_announcement

        return publish_announcement(
            starts_on=starts,
            ends_on=ends,
            title={"fi": "Huoltokatko", "sv": "Serviceavbrott", "en": title},
            body={"fi": "Palvelu on poissa käytöstä.", "sv": "Tjänsten är ur bruk.", "en": "The service is down."},
            level="alert",
        )

    def test_shown_only_while_in_force(self, client):
        today = helsinki_today()
        self.publish(today - timedelta(days=3), today - timedelta(days=1), title="Ended")
        self.publish(today + timedelta(days=1), today + timedelta(days=3), title="Upcoming")
        self.publish(today, today, title="Today only")
        body = html(client.get("/?lang=en"))
        assert "Today only" in body
        assert "Ended" not in body and "Upcoming" not in body

    def test_no_banner_without_announcements(self, client):
        assert "announcements" not in html(client.get("/"))

    def test_in_the_visitors_language(self, client):
        today = helsinki_today()
        self.publish(today, today + timedelta(days=1))
        assert "Serviceavbrott" in html(client.get("/?lang=sv"))

    def test_an_announcement_cannot_end_before_it_starts(self, aws):
        today = helsinki_today()
        with pytest.raises(ValueError):
            self.publish(today, today - timedelta(days=1))


def test_ops_publish_an_announcement_with_the_command(client, capsys):
    from scripts.announce import main

    today = helsinki_today().isoformat()
    args = ["--starts", today, "--ends", today, "--level", "alert"]
    for part in ("title", "body"):
        for language in ("fi", "sv", "en"):
            args += [f"--{part}-{language}", f"{part} in {language}"]
    assert main(args) == 0
    assert "published announcement" in capsys.readouterr().out
    assert "title in en" in html(client.get("/?lang=en"))
    with pytest.raises(SystemExit):
        main(["--starts", today, "--ends", "2000-01-01"] + args[4:])


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("service", ["resident-parking-permit", "parking-fine-rectification"])
def test_a_description_writes_each_phone_number_one_way_and_links_it(client, service, language):
    import re

    page = html(client.get(f"/e-services/{service}?lang={language}"))
    text = re.sub(r"<[^>]+>", " ", page)
    written = set(re.findall(r"(?:\+358|\(0|\b0)[0-9 ()]{6,16}[0-9]", text))
    assert written and all(re.fullmatch(r"0\d{1,2} \d{3} \d{4,5}", number) for number in written), written
    for number in written:
        digits = re.sub(r"\D", "", number)
        assert f'href="tel:+358{digits[1:]}">{number}</a>' in page, number


@pytest.mark.parametrize("language, heading, authority", [
    ("fi", "Saavutettavuusseloste", "Valvontaviranomainen"),
    ("sv", "Tillgänglighetsutlåtande", "Tillsynsmyndighet"),
    ("en", "Accessibility statement", "Supervisory authority"),
])
def test_the_accessibility_statement_is_linked_from_every_footer_with_feedback_and_the_authority(client, language, heading, authority):
    for path in PAGES:
        assert 'href="/accessibility"' in html(client.get(f"{path}?lang={language}")), path
    page = html(client.get(f"/accessibility?lang={language}"))
    assert f"<h1>{heading}</h1>" in page and authority in page
    assert 'href="/feedback"' in page and "saavutettavuus@avi.fi" in page and "WCAG 2.1" in page


@pytest.mark.parametrize("language, browsers, security", [
    ("fi", "Tuetut selaimet ja käyttöjärjestelmät", "Tietoturva"),
    ("sv", "Webbläsare och operativsystem som stöds", "Informationssäkerhet"),
    ("en", "Supported browsers and operating systems", "Security"),
])
def test_the_guides_last_two_sections_are_pages_of_their_own_linked_from_every_footer(client, language, browsers, security):
    footer = html(client.get(f"/?lang={language}"))
    assert 'href="/supported-browsers"' in footer and 'href="/security"' in footer
    browsers_page = html(client.get(f"/supported-browsers?lang={language}"))
    assert f"<h1>{browsers}</h1>" in browsers_page and "Internet Explorer" in browsers_page and "Firefox ESR" in browsers_page
    security_page = html(client.get(f"/security?lang={language}"))
    assert f"<h1>{security}</h1>" in security_page and "https" in security_page
