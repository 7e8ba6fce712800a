"""Messages that leave the portal (notification e-mails and text messages), rendered exactly like the
pages: the same Jinja2 environment and templates/ folder, the same translations (the template
globals ``_``/``ngettext`` read the render's active catalogue), the same date convention.

Plain-text templates (``*.txt``) wrap themselves in ``{% autoescape false %}``: the environment
escapes HTML everywhere else.
"""
from __future__ import annotations


def render_message(template: str, language: str, **context) -> str:
    from chalicelib.i18n import translations
    from chalicelib.web.render import Page, _active, environment

    token = _active.set(translations(language))
    try:
        return environment().get_template(template).render(
            {"lang": language, "format_datetime": Page.format_datetime, **context})
    finally:
        _active.reset(token)
