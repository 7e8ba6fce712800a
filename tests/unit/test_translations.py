"""Every text a person reads exists in Finnish, Swedish and English, and the catalogues are current."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "chalicelib" / "translations"


def catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def ids(cat) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}


def test_the_message_template_matches_the_sources(tmp_path):
    """Run `make extract-messages` after changing a text; this fails until then."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "_",
         "--no-location", "--sort-output", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    assert ids(catalog(fresh)) == ids(catalog(TRANSLATIONS / "messages.pot"))


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_message_is_translated(language):
    po = catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    assert ids(po) == ids(catalog(TRANSLATIONS / "messages.pot"))
    untranslated = [m.id for m in po if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert untranslated == []
    assert not [m.id for m in po if m.id and m.fuzzy]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_placeholders_survive_translation(language):
    import re

    po = catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    for message in po:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert sorted(re.findall(r"%\(\w+\)[sd]", target)) == sorted(re.findall(r"%\(\w+\)[sd]", source)), source


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_instructions_exist_in_every_language_with_the_same_sections(language):
    import re

    text = (ROOT / "templates" / "instructions" / f"{language}.html").read_text(encoding="utf-8")
    english = (ROOT / "templates" / "instructions" / "en.html").read_text(encoding="utf-8")
    assert re.findall(r'<section aria-labelledby="([\w-]+)"', text) == re.findall(r'<section aria-labelledby="([\w-]+)"', english)
