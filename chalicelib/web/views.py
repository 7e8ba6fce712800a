"""Where domain errors become HTTP answers for people: one decorator that every page handler uses."""
from __future__ import annotations

import functools
import logging

from chalice import Response

from chalicelib.errors import Forbidden, NotFound
from chalicelib.web.render import Page
from chalicelib.web.request import BadRequest, WebRequest
from chalicelib.web.responses import cookie

log = logging.getLogger("portal.pages")


def error_page(page: Page, status: int) -> Response:
    return page.render(f"errors/{status}.html", status=status)


CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _guard(page: Page, access: str) -> Response | None:
    """Who may use the route, and the CSRF check of every state-changing request with a session."""
    request = page.request
    session = page.session
    if access == "identified" and session is None:
        return page.redirect("/sign-in", notice=page.notice)
    if session is not None and session.choosing_organisation and access in ("signed_in", "registering"):
        return page.redirect("/act-for", next=session.return_path)  # a corporate customer chooses first
    if access == "signed_in" and not page.signed_in:
        if session is not None:  # identified but not registered yet
            return page.redirect("/register")
        # A session cookie came along (SameSite=Lax: never on another site's POST), but its session
        # is gone: it ran out while this page was open.
        if request.method == "POST" and request.cookies.get("sid"):
            from chalicelib.forms import resume

            if resume.resumable(request.path):
                # The session ran out while a form was open: keep what was posted for that person
                # (never for whoever signs in next on this browser), come back here.
                person = page.timed_out_person
                if person is not None:
                    token = resume.stash(request.path, request.pairs(), person, page.timed_out_folder)
                    page.cookies.append(cookie(resume.COOKIE, token, page.request.base_path, max_age=3600))
                return page.redirect("/sign-in", next=request.path, notice="timeout")
        return page.redirect("/sign-in", next=request.full_path if request.method == "GET" else None,
                             notice=page.notice)
    if access == "registering" and (session is None or session.registered):
        return page.redirect("/" if session else "/sign-in", notice=page.notice)
    if request.method not in ("GET", "HEAD") and session is not None:
        token = request.headers.get(CSRF_HEADER) or request.form().get(CSRF_FIELD)
        if not session.csrf_ok(token):
            raise Forbidden("csrf")
    return None


def page_view(blueprint, access: str = "public"):
    """Wrap a handler ``fn(page, **path_params)``: build the Page, enforce ``access`` ("public",
    "identified": any session, registered or not; "signed_in"; "registering") and CSRF, and map
    errors to pages in the visitor's language."""
    if access not in ("public", "identified", "signed_in", "registering"):
        raise ValueError(access)

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(**kwargs):
            request = WebRequest.from_chalice(blueprint.current_request)
            page = Page(request)
            try:
                return _guard(page, access) or fn(page, **kwargs)
            except NotFound:
                return error_page(page, 404)
            except Forbidden:
                return error_page(page, 403)
            except BadRequest:
                return error_page(page, 400)
            except Exception:
                # The route template only: paths and answers may carry personal data.
                log.exception("unhandled error on %s %s", request.method, blueprint.current_request.path)
                try:
                    return error_page(page, 500)
                except Exception:
                    log.exception("the error page itself failed")
                    return Response(
                        body="Palvelussa tapahtui virhe. Ett fel inträffade. An error occurred.",
                        status_code=500,
                        headers={"Content-Type": "text/plain; charset=utf-8"},
                    )

        return wrapper

    return decorate
