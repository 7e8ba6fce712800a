"""My profile: what the identification says (read-only) and the contact details the customer edits.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.errors import Invalid
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]


def _view(page, profile):
    from chalicelib.identity.claims import birth_date
    from chalicelib.identity.profiles import delivery_status

    return {
        "profile": profile,
        "delivery": delivery_status(profile),
        "birth_date": birth_date(profile.personal_identity_code) if profile.personal_identity_code else None,
    }


@bp.route("/profile", methods=["GET"])
@page_view(bp, access="signed_in")
def my_profile(page):
    from chalicelib import consent
    from chalicelib.catalogue.store import get_service
    from chalicelib.divisions import name_of
    from chalicelib.identity import profiles
    from chalicelib.privacy import audit

    profile = profiles.get_profile(page.session.profile_id)
    entries = audit.for_profile(profile.profile_id, limit=200)
    sign_ins = [e for e in entries if e.action in ("sign-in", "sign-in-failed")][:10]
    readers: dict[str, object] = {}
    for entry in entries:
        if entry.actor == "division" and entry.division_id and entry.division_id not in readers:
            readers[entry.division_id] = entry.at
    agreements = [(get_service(a.service_id), a) for a in consent.accepted_by(consent.acceptor(page.session).key)]
    return page.render(
        "profile/view.html", saved=page.request.query.get("saved") == "1", sign_ins=sign_ins,
        agreements=[(service, a) for service, a in agreements if service is not None],
        withdrawn=page.request.query.get("done") == "withdrawn",
        readers=[(name_of(division, page.language), at) for division, at in readers.items()], **_view(page, profile),
    )


@bp.route("/profile/edit", methods=["GET"])
@page_view(bp, access="signed_in")
def edit(page):
    from chalicelib.identity import profiles

    profile = profiles.get_profile(page.session.profile_id)
    form = profiles.ContactForm(
        email=profile.email or "",
        phone=profile.phone or "",
        methods=tuple(profile.notify_methods or ()),
        language=profile.notify_language,
    )
    return page.render("profile/edit.html", form=form, errors={}, **_view(page, profile))


@bp.route("/profile/edit", methods=["POST"], content_types=FORM)
@page_view(bp, access="signed_in")
def save(page):
    from chalicelib.identity import profiles

    form = profiles.ContactForm.from_fields(page.request.form(), page.request.form_list("methods"))
    try:
        profiles.update_contact(page.session.profile_id, form)
    except Invalid as invalid:
        profile = profiles.get_profile(page.session.profile_id)
        return page.render("profile/edit.html", status=400, form=form, errors=invalid.errors, **_view(page, profile))
    return page.redirect("/profile", saved="1")
