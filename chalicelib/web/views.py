"""Where domain errors become HTTP answers for people: one decorator that every page handler uses."""
from __future__ import annotations

import functools
import logging

from chalice import Response

from chalicelib.errors import Forbidden, NotFound
from chalicelib.web.render import Page
from chalicelib.web.request import BadRequest, WebRequest

log = logging.getLogger("portal.pages")


def error_page(page: Page, status: int) -> Response:
    return page.render(f"errors/{status}.html", status=status)


def page_view(blueprint):
    """Wrap a handler ``fn(page, **path_params)``: build the Page, map errors to pages in the visitor's language."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(**kwargs):
            request = WebRequest.from_chalice(blueprint.current_request)
            page = Page(request)
            try:
                return fn(page, **kwargs)
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
