"""Attachment limits as data: each file field takes ``max_files`` (one by default); a draft at most
MAX_FILES files of MAX_TOTAL_BYTES in all; beyond them a message in the person's language, nothing
stored and nothing typed lost. The references stay far below DynamoDB's 400 KB (docs/data-model.md)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.forms import attachments as files
from chalicelib.forms import drafts
from chalicelib.forms.schema import FormDefinition, FormField
from chalicelib.i18n import translations

L = {"fi": "x", "sv": "x", "en": "x"}
PDF = b"%PDF-1.4\n"


def _form(**max_files) -> FormDefinition:
    fields = [{"name": "notes", "type": "textarea", "label": L}]
    fields += [{"name": name, "type": "attachment", "label": L, **({"max_files": n} if n else {})} for name, n in max_files.items()]
    return FormDefinition.model_validate({"schema_version": 1, "id": "limits-test", "title": L, "intro": L,
                                          "pages": [{"id": "p", "title": L, "fields": fields}]})


def _draft(form):
    return drafts.new(drafts.Owner("owner", "Acting Name"), "c" * 32, form, {})


def _post(form, draft, uploads, notes="typed"):
    return drafts.apply_page(form, draft, 1, {"notes": notes}, {}, uploads, [])


def _pdfs(n, size=len(PDF)):
    return [files.Upload(f"{i}.pdf", PDF + b"0" * (size - len(PDF))) for i in range(n)]


def test_a_file_field_takes_one_file_unless_it_says_more():
    assert FormField(name="a", type="attachment", label=L).file_limit == 1
    assert FormField(name="a", type="attachment", label=L, max_files=4).file_limit == 4
    for bad in ({"type": "text", "max_files": 2}, {"type": "attachment", "max_files": 0}, {"type": "attachment", "max_files": 11}):
        with pytest.raises(ValidationError):
            FormField(name="a", label=L, **bad)


def test_the_field_limit(aws):
    form = _form(one=None, three=3)
    draft = _draft(form)
    errors = _post(form, draft, {"one": _pdfs(2), "three": _pdfs(3)})
    assert str(errors["one"]) == "This field takes one file. Remove the file first to add another."
    assert [a.field for a in draft.attachments] == ["three"] * 3 and draft.answers["notes"] == "typed"
    errors = _post(form, draft, {"three": _pdfs(1)}, notes="typed again")
    assert errors["three"].translate(translations("sv").gettext) == \
        "Här kan du lägga till högst 3 filer. Ta först bort en fil för att lägga till en ny."
    assert len(draft.attachments) == 3 and draft.answers["notes"] == "typed again"


def test_the_drafts_total_of_files_and_bytes(aws):
    form = _form(a=10, b=10)
    draft = _draft(form)
    assert _post(form, draft, {"a": _pdfs(7, files.MAX_BYTES)}) == {}
    errors = _post(form, draft, {"b": _pdfs(1, files.MAX_BYTES)})  # 8 × 2 MB = 16 MB > 15 MB
    assert errors["b"].translate(translations("fi").gettext) == \
        "Lomakkeen liitteet voivat olla yhteensä enintään 15 Mt. Poista ensin jokin liite."
    assert _post(form, draft, {"b": _pdfs(3)}) == {}
    errors = _post(form, draft, {"b": _pdfs(1)})
    assert str(errors["b"]).startswith("A form can have at most 10 attachments.")
    assert len(draft.attachments) == files.MAX_FILES
    drafts.save(draft, is_new=True)  # and the draft with all of them is an item DynamoDB stores


def test_ten_references_with_the_longest_values_are_far_below_400_kb():
    """The arithmetic of docs/data-model.md, measured as DynamoDB measures (tests/dynamodb_item_size.py)."""
    from tests.dynamodb_item_size import item_size

    longest = {"M": {"attachment_id": {"S": "f" * 32}, "field": {"S": "f" * 40}, "name": {"S": "\U00020000" * 100},
                     "size": {"N": str(files.MAX_BYTES)}, "content_type": {"S": max(files.ALLOWED, key=len)},
                     "s3_key": {"S": "attachments/" + "f" * 32}}}
    one = item_size({"attachments": {"L": [longest]}}) - item_size({"attachments": {"L": []}})
    assert one <= 700
    assert item_size({"attachments": {"L": [longest] * files.MAX_FILES}}) < 8 * 1024
