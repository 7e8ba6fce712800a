"""The e-services folder: the list, an item's information, messages, complements, templates, and who
may see what (two customers, two organisations)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.dynamo_calls import count_dynamodb_calls
from tests.folder_items import put_drafts, put_items
from tests.fake_idp import NORDEA_TESTAAJA, ORGANISATION_USER, sign_in
from tests.integration.test_forms import Filler

CUSTOMER_B = {"amr": ["mobile"], "acr": "personal", "given_name": "Åsa", "family_name": "Testare", "national_id": "150376-904V", "loa": "substantial"}
ORG_1_OTHER = {**ORGANISATION_USER, "given_name": "Kaisa", "family_name": "Kollega", "national_id": "030392-952T",
               "organisation_roles": ["TJ"]}
ORG_2 = {**ORGANISATION_USER, "business_id": "9123456-5", "organisation_name": "Esimerkkiyhdistys ry"}
PDF = b"%PDF-1.4\n" + b"0" * 64


def send_dog_declaration(filler) -> str:
    filler.fill_dog_declaration()
    return re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)


@pytest.fixture
def a(client, idp):
    return Filler(client, sign_in(client, idp, NORDEA_TESTAAJA))


@pytest.fixture
def item(a):
    return send_dog_declaration(a)


def html(response) -> str:
    return response.body.decode()


def test_the_list_shows_each_item_with_its_status(a, item):
    body = html(a.get("/folder"))
    assert f"Dog declaration ({item})" in body and "Sent" in body
    assert f'href="/folder/{item}"' in body and "Open the information" in body
    assert "New" not in re.sub(r"<[^>]+>", " ", body).split("Sent forms")[1].split("Drafts")[0]


def test_an_officials_status_and_message_show_new_until_opened_on_any_device(client, idp, a, item):
    from chalicelib import folder

    folder.change_status(item, "received", note="Käsittelemme hakemustasi.")
    listing = html(a.get("/folder"))
    assert 'class="new-label"' in listing and "Received" in listing
    other_device = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA, register=False))
    page = html(other_device.get(f"/folder/{item}"))
    assert "Received: Käsittelemme hakemustasi." in page
    assert 'class="new-label"' not in html(a.get("/folder"))  # seen on one device: gone on every device
    folder.official_message(item, text="Lähettäkää rokotustodistus.", author_name="Kaupunkiympäristö", reply_allowed=True)
    assert 'class="new-label"' in html(a.get("/folder"))
    assert 'class="new-label"' in html(a.get("/"))  # the front page's latest events too


def test_search_sort_and_pages_of_ten(a, aws):
    from chalicelib.models.forms import SubmissionModel
    from chalicelib.models.identity import ProfileModel

    owner = next(iter(ProfileModel.scan())).profile_id  # scan-ok: test inspection
    services = ["dog-declaration", "referee-fee", "arts-and-culture-grants"]
    _put_items(owner, 23, services)
    first = html(a.get("/folder"))
    assert "23 items" in first and first.count('class="folder-list__item"') == 10
    assert 'aria-current="page"' in first and 'href="/folder?sort=updated&amp;page=3"' in first
    third = html(a.get("/folder?page=3"))
    assert third.count('class="folder-list__item"') == 3
    assert html(a.get("/folder?page=999")).count('class="folder-list__item"') == 3  # clamped
    found = html(a.get("/folder?q=000017"))
    assert "1 item" in found and "(000017)" in found
    assert "No item matched" in html(a.get("/folder?q=999999"))
    by_name = re.findall(r'folder-list__name">([^(<]+)', html(a.get("/folder?sort=name&lang=en")))
    assert by_name == sorted(by_name)
    assert html(a.get("/folder?q=%3Cscript%3E&sort=../../etc&page=-5")).count("<script>") == 0


_put_items = put_items  # tests/integration/test_api.py uses it by this name
_put_drafts = put_drafts


def test_a_folder_page_costs_the_same_few_round_trips_whatever_its_size(client, idp):
    from chalicelib.models.identity import ProfileModel

    small = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA))
    large = Filler(client, sign_in(client, idp, CUSTOMER_B))
    owners = {p.given_name: p.profile_id for p in ProfileModel.scan()}  # scan-ok: test inspection
    _put_items(owners["Portaalia Nordea"], 3, ["dog-declaration"])
    _put_drafts(owners["Portaalia Nordea"], 1)
    _put_items(owners["Åsa"], 500, ["dog-declaration", "referee-fee"], start=1000)  # numbers of their own
    _put_drafts(owners["Åsa"], 20)
    small.get("/folder")
    large.get("/folder")  # warm caches
    with count_dynamodb_calls() as few:
        assert small.get("/folder").status_code == 200
    with count_dynamodb_calls() as many:
        body = html(large.get("/folder"))
    assert "3 items" in html(small.get("/folder"))
    assert "500 items" in body and body.count('class="folder-list__item"') == 10 + 10  # ten items, ten drafts
    assert body.count("/remove") == 10 and "More drafts" in body
    assert len(few.calls) == len(many.calls) == 4, (few.summary(), many.summary())
    assert sorted(op for op, _ in many.calls) == ["GetItem", "GetItem", "Query", "Query"]  # session, count, list, drafts
    # Items read: the session, the count, the items shown and the drafts shown; not the folder.
    assert few.items_read == 1 + 1 + 3 + 1
    assert many.items_read == 1 + 1 + 10 + 10


def _pages(body) -> dict[str, str]:
    """The pagination's links by their text ("1", "2", …, "Previous", "Next")."""
    nav = body.split('class="hds-pagination"', 1)[1].split("</nav>", 1)[0]
    links = {text: href.replace("&amp;", "&") for href, text in re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', nav)}
    for name, way in (("Previous", "prev"), ("Next", "next")):  # by their class: the texts are translated
        found = re.search(rf'hds-pagination__button-{way}" href="([^"]+)"', nav)
        if found:
            links[name] = found.group(1).replace("&amp;", "&")
    return links


def _items(body) -> list[str]:
    return re.findall(r'data-item="(\d+)"', body)


def test_every_page_of_a_large_folder_reads_one_page(client, idp):
    """Given 500 items, page 1, the next pages, the last page and back each read ten items (and the count)."""
    from chalicelib.models.identity import ProfileModel

    large = Filler(client, sign_in(client, idp, CUSTOMER_B))
    owner = next(iter(ProfileModel.scan())).profile_id  # scan-ok: test inspection
    _put_items(owner, 500, ["dog-declaration", "referee-fee", "arts-and-culture-grants"])
    first = html(large.get("/folder"))
    newest = [f"{n:06d}" for n in range(1, 501)]  # item 1 is the newest
    assert _items(first) == newest[:10]
    links = _pages(first)
    assert set(links) == {"1", "2", "50", "Next"} and links["2"] == links["Next"] and "c=" in links["2"]
    seen = list(_items(first))
    url = links["Next"]
    for number in range(2, 5):  # walk forwards
        with count_dynamodb_calls() as calls:
            body = html(large.get(url))
        assert f'aria-current="page" aria-label="Page {number}"' in body
        assert calls.items_read == 1 + 1 + 10, calls.summary()
        seen += _items(body)
        url = _pages(body)["Next"]
    assert seen == newest[:40]
    back = _pages(body)["Previous"]  # from page 4 to 3
    assert _items(html(large.get(back))) == newest[20:30]
    with count_dynamodb_calls() as calls:
        last = html(large.get(links["50"]))
    assert _items(last) == newest[490:] and calls.items_read == 1 + 1 + 10
    assert _items(html(large.get(_pages(last)["Previous"]))) == newest[480:490]
    # A cursor the folder did not give (or of another sort or page) shows page 1, never an error.
    for bad in ("x", "eyJzIjoidXBkYXRlZCJ9", links["2"].split("c=")[1] + "AA", "%00" * 40):
        response = large.get(f"/folder?sort=updated&page=2&c={bad}")
        assert response.status_code == 200 and _items(html(response)) == newest[:10], bad
    assert _items(html(large.get(links["2"].replace("sort=updated", "sort=name")))) != newest[10:20]


def test_alphabetical_pages_follow_the_names_in_the_reading_language(client, idp):
    from chalicelib.catalogue.search import sort_key
    from chalicelib.catalogue.store import catalogue
    from chalicelib.models.identity import ProfileModel

    large = Filler(client, sign_in(client, idp, CUSTOMER_B))
    owner = next(iter(ProfileModel.scan())).profile_id  # scan-ok: test inspection
    services = ["dog-declaration", "referee-fee", "arts-and-culture-grants", "terrace-permit"]
    _put_items(owner, 45, services)
    for language in ("fi", "sv", "en"):
        names, url = [], f"/folder?sort=name&lang={language}"
        for _ in range(5):
            with count_dynamodb_calls() as calls:
                body = html(large.get(url))
            assert calls.items_read <= 1 + 1 + 10
            names += [(catalogue()[s].name.get(language), n) for n in _items(body) for s in [services[int(n) % 4]]]
            url = _pages(body).get("Next")
            if url is None:
                break
            url += f"&lang={language}"  # the language of this request only
        assert len(names) == 45 and len(set(names)) == 45
        assert names == sorted(names, key=lambda pair: (sort_key(pair[0], language), pair[1])), language


def test_an_item_number_is_one_read_and_only_in_ones_own_folder(client, idp, a, item):
    from chalicelib.models.identity import ProfileModel

    with count_dynamodb_calls() as calls:
        found = html(a.get(f"/folder?q={int(item)}"))  # leading zeros left out
    assert _items(found) == [item] and "1 item" in found
    assert [op for op, table in calls.calls if "submissions" in table] == ["GetItem"]
    other = Filler(client, sign_in(client, idp, CUSTOMER_B))
    assert "No item matched" in html(other.get(f"/folder?q={item}"))  # someone else's: as if it did not exist
    assert "No item matched" in html(a.get(f"/folder?q={item[:-1]}"))  # a part of the number finds nothing


def test_the_count_follows_sending_and_deleting_the_profile(client, idp, a, aws):
    from chalicelib.models.forms import folder_counter
    from chalicelib.models.identity import ProfileModel
    from chalicelib.privacy.mydata import delete_profile

    owner = next(iter(ProfileModel.scan())).profile_id  # scan-ok: test inspection
    send_dog_declaration(a)
    send_dog_declaration(a)
    counter = folder_counter(owner)
    counter.refresh()
    assert counter.value == 2 and "2 items" in html(a.get("/folder"))
    delete_profile(owner, [])
    counter.refresh()
    assert counter.value == 0


def test_opening_the_information(a, item, aws):
    from chalicelib import folder

    folder.change_status(item, "processing")
    thread = folder.official_message(item, text="Tarvitsemme lisätietoja.", author_name="Virkailija", reply_allowed=True)
    body = html(a.get(f"/folder/{item}"))
    for text in ("Functions", "Show application", "Complement", "Use as template", "Messages", "Tarvitsemme lisätietoja.",
                 "Write a new message", "Attachments", "Events", "Processing", "Message from an official"):
        assert text in body, text
    events = re.findall(r"<li>\d+\.\d+\.\d{4} \d\d:\d\d\s+(\w[\w ]*)", body)
    assert events[0].startswith("Message") and events[-1].strip() == "Sent"  # newest first
    reply = a.post(f"/folder/{item}/messages/{thread}", {"csrf_token": a.csrf, "text": "Tässä lisätiedot <b>."})
    assert reply.status_code == 303
    body = html(a.get(f"/folder/{item}"))
    assert body.index("Tarvitsemme lisätietoja.") < body.index("Tässä lisätiedot &lt;b&gt;.")  # newest last, escaped


def test_no_replies_without_an_officials_open_thread(a, item):
    from chalicelib import folder

    assert "Write a new message" not in html(a.get(f"/folder/{item}"))
    closed = folder.official_message(item, text="Päätös on tehty.", author_name="Virkailija", reply_allowed=False)
    body = html(a.get(f"/folder/{item}"))
    assert "Päätös on tehty." in body and "You cannot reply in this conversation." in body
    refused = a.post(f"/folder/{item}/messages/{closed}", {"csrf_token": a.csrf, "text": "Hei"})
    assert refused.status_code == 400 and "closed for replies" in html(refused)
    assert a.post(f"/folder/{item}/messages/{'f' * 32}", {"csrf_token": a.csrf, "text": "Hei"}).status_code == 404
    from chalicelib.models.forms import EventModel

    assert [e.author for e in EventModel.query(item) if e.kind == "message"] == ["official"]


@pytest.mark.parametrize("text, files, message", [
    ("", {}, "Write a message."),
    ("x" * 4001, {}, "at most 4000 characters"),
    ("Hei", {"files": ("iso.pdf", PDF + b"0" * (2 * 1024 * 1024))}, "larger than 2 MB"),
    ("Hei", {"files": ("kuva.pdf", b"GIF89a" + b"0" * 40)}, "The file type is not allowed"),
])
def test_bad_replies_keep_the_text_and_store_nothing(a, item, text, files, message):
    from chalicelib import folder
    from chalicelib.models.forms import EventModel

    thread = folder.official_message(item, text="Kysymys", author_name="Virkailija", reply_allowed=True)
    a.get(f"/folder/{item}")
    response = a.multipart_to(f"/folder/{item}/messages/{thread}", {"text": text}, files)
    assert response.status_code == 400 and message in html(response)
    if text and len(text) < 100:
        assert f">{text}</textarea>" in html(response)
    assert [e.author for e in EventModel.query(item) if e.kind == "message"] == ["official"]
    assert _s3_keys() == []


def _s3_keys():
    import boto3

    listed = boto3.client("s3", region_name="eu-north-1").list_objects_v2(Bucket="eservices-test-attachments")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_complementing_with_text_and_a_file(a, item):
    assert "Complement the application" in html(a.get(f"/folder/{item}/complement"))
    response = a.multipart_to(f"/folder/{item}/complement", {"text": "Lisään rokotustodistuksen."},
                              {"files": ("todistus.pdf", PDF)})
    assert response.status_code == 303
    body = html(a.get(f"/folder/{item}"))
    assert "Complemented" in body and "todistus.pdf" in body
    from chalicelib.models.forms import EventModel

    (complement,) = [e for e in EventModel.query(item) if e.kind == "complement"]
    assert complement.text == "Lisään rokotustodistuksen." and complement.attachments[0].name == "todistus.pdf"


@pytest.mark.parametrize("text, files, message", [
    ("  ", {}, "Write the complement or add a file."),
    ("x" * 4001, {}, "at most 4000 characters"),
    ("Hei", {"files": ("iso.pdf", PDF + b"0" * (2 * 1024 * 1024))}, "larger than 2 MB"),
    ("Hei", {"files": ("ohjelma.pdf", b"MZ" + b"0" * 40)}, "The file type is not allowed"),
])
def test_bad_complements_keep_the_text_and_store_nothing(a, item, text, files, message):
    a.get(f"/folder/{item}/complement")
    response = a.multipart_to(f"/folder/{item}/complement", {"text": text}, files)
    assert response.status_code == 400 and message in html(response)
    from chalicelib.models.forms import EventModel

    assert [e.kind for e in EventModel.query(item)] == ["status"] and _s3_keys() == []


@pytest.mark.parametrize("text, files, field, message", [
    ("x" * 4001, {}, "complement-text", "The text can be at most 4000 characters long."),  # a message with a parameter
    ("  ", {}, "complement-text", "Write the complement or add a file."),
    ("Hei", {"files": ("ohjelma.pdf", b"MZ" + b"0" * 40)}, "complement-files", "The file type is not allowed"),
])
def test_a_bad_complement_shows_its_message_at_the_field_and_in_the_summary(a, item, text, files, field, message):
    """The message with a parameter used to be dropped at the field (only the summary showed it)."""
    a.get(f"/folder/{item}/complement")
    body = html(a.multipart_to(f"/folder/{item}/complement", {"text": text}, files))
    at_field = body.split(f'id="{field}-error">')[1].split("</span>")[0]
    assert message in at_field
    assert f'aria-describedby="{field}-error' in body or f' {field}-error"' in body
    summary = body.split('id="error-summary"')[1].split("</section>")[0]
    assert f'href="#{field}"' in summary and message in summary


def test_show_application_is_read_only_and_printable(a, item):
    body = html(a.get(f"/folder/{item}/application"))
    assert "Musti" in body and "Owner information" in body and "1.2.2020" in body
    assert "<input" not in body.split("<main")[1].split("</main>")[0]


def test_use_as_template_makes_a_prefilled_draft_without_files(a, item):
    response = a.post(f"/folder/{item}/template", {"csrf_token": a.csrf})
    assert response.status_code == 303
    page = html(a.get(response.headers["Location"]))
    assert 'value="Testikatu 1"' in page and 'value="210281-9988"' in page
    dog = html(a.get(response.headers["Location"].replace("/pages/1", "/pages/2")))
    assert 'value="Musti"' in dog and 'value="1.2.2020"' in dog


def test_health_care_submissions_never_appear_in_the_folder(a, aws):
    from chalicelib.forms.sending import next_item_number
    from chalicelib.models.forms import SubmissionModel
    from chalicelib.models.identity import ProfileModel
    from chalicelib import clock

    owner = next(iter(ProfileModel.scan())).profile_id  # scan-ok: test inspection
    now = clock.utcnow()
    number = next_item_number()
    SubmissionModel(item_number=number, owner_id=None, sender_id=owner, sent_by="x", service_id="dental-care", division_id="social-health", health_care=True,
                    status="sent", status_at=now, answers={}, language="fi", created_at=now, updated_at=now,
                    updated_sort=f"{now.isoformat()}#{number}").save()
    assert number not in html(a.get("/folder"))
    assert a.get(f"/folder/{number}").status_code == 404


ITEM_URLS = ["/folder/{n}", "/folder/{n}/application", "/folder/{n}/complement"]


def test_nobody_else_sees_or_touches_an_item(client, idp, a, item):
    from chalicelib import folder
    from chalicelib.models.forms import EventModel, SubmissionModel

    thread = folder.official_message(item, text="Kysymys", author_name="Virkailija", reply_allowed=True)
    before = (SubmissionModel.get(item).updated_sort, len(list(EventModel.query(item))))
    others = [Filler(client, sign_in(client, idp, claims)) for claims in (CUSTOMER_B, ORGANISATION_USER, ORG_2)]
    for other in others:
        other.get("/")
        for url in ITEM_URLS:
            missing = other.get(url.format(n=item))
            nothing = other.get(url.format(n="999999"))
            assert missing.status_code == nothing.status_code == 404, url
            assert html(missing) == html(nothing).replace("999999", item) or "Page not found" in html(missing)
        assert item not in html(other.get("/folder")) and item not in html(other.get("/"))
        for path, fields in ((f"/folder/{item}/complement", {"text": "x"}), (f"/folder/{item}/messages/{thread}", {"text": "x"}),
                             (f"/folder/{item}/template", {})):
            assert other.post(path, {"csrf_token": other.csrf, **fields}).status_code == 404, path
    assert (SubmissionModel.get(item).updated_sort, len(list(EventModel.query(item)))) == before
    assert SubmissionModel.get(item).unseen_since is not None  # nobody else's look marked it seen


def test_an_organisations_members_share_its_folder_but_not_their_personal_one(client, idp):
    from chalicelib.models.identity import ProfileModel

    member = Filler(client, sign_in(client, idp, ORGANISATION_USER))
    (organisation,) = [p for p in ProfileModel.scan() if p.kind == "organisation"]  # scan-ok: test inspection
    _put_items(organisation.profile_id, 1, ["arts-and-culture-grants"])
    org_item = "000001"
    assert f"({org_item})" in html(member.get("/folder"))
    colleague = Filler(client, sign_in(client, idp, ORG_1_OTHER, register=False))
    assert f"({org_item})" in html(colleague.get("/folder"))
    assert colleague.get(f"/folder/{org_item}").status_code == 200
    personal = Filler(client, sign_in(client, idp, {"amr": ["bank"], "acr": "personal", "given_name": "Maija",
                                                    "family_name": "Meikäläinen", "national_id": "010190-900P"}))
    assert org_item not in html(personal.get("/folder"))
    assert personal.get(f"/folder/{org_item}").status_code == 404


@pytest.mark.parametrize("number", ["abc", "1" * 20, "%2e%2e", "-1"])
def test_odd_item_numbers_are_not_found(a, number):
    assert a.get(f"/folder/{number}").status_code == 404


@pytest.mark.parametrize("language, said", [
    ("en", "You are acting for Testiyritys Oy (Business ID 0201256-6)."),
    ("fi", "Asioit organisaation Testiyritys Oy (Y-tunnus 0201256-6) puolesta."),
    ("sv", "Du uträttar ärenden för Testiyritys Oy (FO-nummer 0201256-6)."),
])
def test_who_acts_for_an_organisation_sees_its_name_and_business_id_in_the_header_front_page_and_folder(
        client, idp, language, said):
    member = Filler(client, sign_in(client, idp, ORGANISATION_USER))
    folder, front = html(member.get(f"/folder?lang={language}")), html(member.get(f"/?lang={language}"))
    assert said in folder and said in front
    header = folder.split('class="account__name"', 1)[1].split("</span></span>", 1)[0]
    assert "Maija Meikäläinen" in header and "Testiyritys Oy" in header and "0201256-6" in header


def test_a_person_acting_for_themselves_sees_no_organisation(a):
    for page in ("/folder", "/"):
        body = html(a.get(page))
        assert 'class="account__for"' not in body and "acting-for" not in body
