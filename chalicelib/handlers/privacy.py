"""My data: download it (JSON and a readable page), and delete the profile.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations


from chalice import Blueprint

from chalicelib.web.responses import clear_cookie, json_response
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]


@bp.route("/profile/my-data", methods=["GET"])
@page_view(bp, access="signed_in")
def my_data(page):
    from chalicelib.privacy import mydata

    return page.render("privacy/my_data.html", data=mydata.collect(page.session.profile_id, page.session.actor_profile_id))


@bp.route("/profile/my-data.json", methods=["GET"])
@page_view(bp, access="signed_in")
def my_data_json(page):
    from chalicelib.privacy import mydata

    data = mydata.collect(page.session.profile_id, page.session.actor_profile_id)
    return json_response(data, content_type="application/json; charset=utf-8", pretty=True, headers={
        "Content-Disposition": 'attachment; filename="my-data.json"', "X-Content-Type-Options": "nosniff"})


def _may_delete(page, profile) -> bool:
    """Only one's own profile (or an organisation's, by someone who may sign for it): never a child's or another
    person's folder that one acts for (issue 17)."""
    from chalicelib.privacy import mydata

    principal = page.session.principal
    if not principal.is_self and principal.kind != "organisation":
        return False
    return mydata.can_delete(profile, page.session.record.roles if principal.is_self else list(principal.roles))


@bp.route("/profile/delete", methods=["GET"])
@page_view(bp, access="signed_in")
def confirm_delete(page):
    from chalicelib.identity.profiles import get_profile
    from chalicelib.privacy import mydata

    profile = get_profile(page.session.profile_id)
    return page.render("privacy/delete.html", profile=profile, allowed=_may_delete(page, profile))


@bp.route("/profile/delete", methods=["POST"], content_types=FORM)
@page_view(bp, access="signed_in")
def delete(page):
    from chalicelib import sessions
    from chalicelib.identity.profiles import get_profile
    from chalicelib.privacy import mydata

    if page.request.form().get("confirm") != "yes":
        profile = get_profile(page.session.profile_id)
        return page.render("privacy/delete.html", status=400, profile=profile, missing_confirmation=True,
                           allowed=_may_delete(page, profile))
    if not _may_delete(page, get_profile(page.session.profile_id)):
        from chalicelib.errors import Forbidden

        raise Forbidden("not one's own profile")
    kept = mydata.delete_profile(page.session.profile_id, list(page.session.record.roles))
    page.cookies.append(clear_cookie(sessions.COOKIE, page.request.base_path))
    return page.redirect("/profile/deleted", kept=kept)


@bp.route("/profile/deleted", methods=["GET"])
@page_view(bp)
def deleted(page):
    kept = page.request.query.get("kept", "0")
    return page.render("privacy/deleted.html", kept=int(kept) if kept.isdigit() and len(kept) < 7 else 0)
