"""Every report format, in both languages, for a failing submission: no
sentence of the other language and no catalogue key left untranslated."""
import html as html_module
import re

import pytest

from autograder import i18n
from autograder.report import html, markdown
from grading_helpers import FIXTURES, run_autograde

pytestmark = pytest.mark.timeout(300)

KEY = re.compile(r"\b(?:fail|hint|error|skip|ui|check|variant|mistake|nb|demo|extract|similar)\.[a-z_]+(?:\.[a-z_]+)*\b")
# Sentences shorter than this are too generic to tell languages apart ("OK", a unit).
MIN_SENTENCE = 12


def other_language_sentences(lang):
    """Fixed parts of every sentence of the other language (the text between placeholders)."""
    other = "ru" if lang == "en" else "en"
    pieces = set()
    for key, entry in i18n.CATALOGUE.items():
        if entry[other] == entry[lang]:
            continue  # the same in both (a name, a command)
        for piece in re.split(r"\{[^}]*\}", entry[other]):
            piece = piece.strip(" .,:;()«»“”\"'")
            if len(piece) >= MIN_SENTENCE and piece not in entry[lang]:
                pieces.add(piece)
    return pieces


@pytest.fixture(scope="module")
def failing_reports():
    """One failing submission, graded once per language (text on stdout, JSON beside it)."""
    out = {}
    for lang in i18n.LANGUAGES:
        code, report, text = run_autograde(FIXTURES / "tcp" / "no_names", "--lang", lang)
        assert code == 0 and report["score"] < 100, text
        out[lang] = (report, text)
    return out


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_format_speaks_only_its_language(failing_reports, lang):
    report, text = failing_reports[lang]
    rendered = {
        "text": text,
        "markdown": markdown.render(report, lang),
        "html": html_module.unescape(re.sub(r"<[^>]+>", " ", html.render(report, lang))),
    }
    foreign = other_language_sentences(lang)
    for name, body in rendered.items():
        assert not KEY.findall(body.replace("autograder.", "")), (name, KEY.findall(body)[:5])
        leaked = sorted(piece for piece in foreign if piece in body)
        assert not leaked, (name, leaked[:5])
    if lang == "ru":
        assert any(word in rendered["text"] for word in ("подсказка", "не пройдена"))
