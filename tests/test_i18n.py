"""Every sentence exists in both languages, and every key the code uses exists."""
import re
from pathlib import Path

import pytest

from autograder import i18n
from autograder.grading import rubric

pytestmark = pytest.mark.timeout(30)

PACKAGE = Path(i18n.__file__).parent


KEY_LITERAL = re.compile(r"""["']((?:fail|hint|error|skip|ui|check|variant|manual|drive|note|extract|zip)\.[\w.\-]+)["']""")


def keys_used_in_code():
    """Every string literal in the package that looks like a catalogue key."""
    used = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "i18n.py":
            continue
        used |= set(KEY_LITERAL.findall(path.read_text(encoding="utf-8")))
    return used


def test_the_scanner_sees_keys():
    assert {"fail.drop.lost", "fail.drop.dead", "hint.idle.cpu", "ui.score", "note.vanishes_reset",
            "extract.block_under", "zip.too_deep"} <= keys_used_in_code()


def test_every_entry_has_both_languages():
    for key, entry in i18n.CATALOGUE.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        assert all(entry[lang].strip() for lang in i18n.LANGUAGES), key


def test_placeholders_agree_between_languages():
    field = re.compile(r"(?<!\{)\{(\w+)")
    for key, entry in i18n.CATALOGUE.items():
        assert set(field.findall(entry["en"])) == set(field.findall(entry["ru"])), key


def test_every_key_the_code_uses_is_in_the_catalogue():
    missing = sorted(k for k in keys_used_in_code() if k not in i18n.CATALOGUE and k not in i18n.AS_WRITTEN)
    assert not missing


def test_every_check_and_variant_has_a_title():
    for check_id in rubric.load().points:
        if check_id.startswith("client_"):
            continue  # the client checks arrive with the client grader
        assert f"check.{check_id}" in i18n.CATALOGUE
    for variant in rubric.load().caps:
        assert f"variant.{variant}" in i18n.CATALOGUE


def test_russian_text_is_russian():
    cyrillic = re.compile("[а-яё]", re.IGNORECASE)
    for key, entry in i18n.CATALOGUE.items():
        if key in ("ui.title",):
            continue
        assert cyrillic.search(entry["ru"]), key


def test_locale_picks_the_default(monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert i18n.default_language() == "ru"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert i18n.default_language() == "en"


def test_every_command_line_text_is_in_the_catalogue():
    source = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bh\(["']([\w.]+)["']\)""", source))
    assert {"help.path", "meta.file", "demo.help.bots", "export.help.lang"} <= used
    assert not sorted(k for k in used if f"cli.{k}" not in i18n.CATALOGUE)
    assert not sorted(k for k in re.findall(r"""usage_error\([^,]+, \w+, ["']([\w.]+)["']""", source)
                      if k not in i18n.CATALOGUE)
