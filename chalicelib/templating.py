"""Templates: the one Jinja2 environment (created on first use) that renders pages and the messages
that leave the portal (notification e-mails and text messages) alike, with the same templates/
folder, translations and date convention. No Chalice here: the web layer (chalicelib/web/render.py)
turns a rendered page into a response; the domain renders e-mails through ``render_message``.

Translations: the template globals ``_``/``gettext``/``ngettext`` read the catalogue of the render in
progress (a context variable), so macros imported into a template translate too, and one
environment (one template cache) serves all three languages. Plain-text templates (``*.txt``) wrap
themselves in ``{% autoescape false %}``: the environment escapes HTML everywhere else.
"""
from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from chalicelib.clock import HELSINKI
from chalicelib.i18n import translations

_CHALICELIB = Path(__file__).resolve().parent
# The templates live in the repository's top-level templates/. Chalice packages only app.py and
# chalicelib/, so the package build (infra/package.py) copies them to chalicelib/templates/ in the
# Lambda package: the repository's own directory wins wherever it exists (no copy can go stale in a
# working tree), the copy is used where it does not (the deployment package).
TEMPLATES_DIR = next(
    (d for d in (_CHALICELIB.parent / "templates", _CHALICELIB / "templates") if d.is_dir()),
    _CHALICELIB.parent / "templates",
)
# In the package the build also compiles every template to a Python module (``compile_templates``),
# so that a cold start imports bytecode instead of parsing templates; only there, never in a working tree.
COMPILED_TEMPLATES_DIR = _CHALICELIB / "templates_compiled"

# The translations of the render in progress.
_active = ContextVar("active_translations")


def _gettext(message: str) -> str:
    return _active.get().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _active.get().ngettext(singular, plural, n)


def _environment(loader):
    import jinja2

    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    env.filters["tel_href"] = tel_href
    env.filters["phone_links"] = phone_links
    return env


# Helsinki's numbers as the City writes them: 09 310 22111, 040 123 4567 (one format on every page).
_PHONE = re.compile(r"(?<![\d+])0\d{1,2}(?: \d{2,5}){1,3}(?![\d])")


def tel_href(number: str) -> str:
    """``tel:`` with the international number: 09 310 22111 → tel:+358931022111."""
    digits = re.sub(r"\D", "", number)
    return "tel:+358" + digits[1:] if digits.startswith("0") else "tel:+" + digits


def phone_links(text: str):
    """``text`` escaped, each phone number in it a ``tel:`` link (a catalogue entry's contact line)."""
    from markupsafe import Markup, escape

    parts, last = [], 0
    for match in _PHONE.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a class="hds-link" href="{}">{}</a>').format(tel_href(match.group()), match.group()))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@lru_cache(maxsize=1)
def environment():
    import jinja2

    loader = jinja2.FileSystemLoader(str(TEMPLATES_DIR))
    if COMPILED_TEMPLATES_DIR.is_dir() and not (_CHALICELIB.parent / "templates").is_dir():
        loader = jinja2.ChoiceLoader([jinja2.ModuleLoader(str(COMPILED_TEMPLATES_DIR)), loader])
    return _environment(loader)


def compile_templates(source: Path, target: Path) -> None:
    """The package build's step: every template in ``source`` compiled to a module in ``target``,
    by an environment configured exactly as ``environment()`` (a template that fails stops the build)."""
    import jinja2

    _environment(jinja2.FileSystemLoader(str(source))).compile_templates(
        str(target), zip=None, ignore_errors=False, log_function=None)


def render(template: str, catalogue, context: dict) -> str:
    """``template`` rendered with ``context``, its texts translated by the gettext ``catalogue``."""
    token = _active.set(catalogue)
    try:
        return environment().get_template(template).render(context)
    finally:
        _active.reset(token)


def format_datetime(value: datetime) -> str:
    """Helsinki time as the City writes it in all three languages: 21.9.2017 07:08."""
    local = value.astimezone(HELSINKI)
    return f"{local.day}.{local.month}.{local.year} {local:%H:%M}"


def format_date(value) -> str:
    return f"{value.day}.{value.month}.{value.year}"


def render_message(template: str, language: str, **context) -> str:
    """A message that leaves the portal (an e-mail's HTML or text, a text message) in ``language``."""
    return render(template, translations(language), {"lang": language, "format_datetime": format_datetime, **context})
