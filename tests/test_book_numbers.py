"""Every headline number of C1-C18 reads the same on every page of the built book.

Each claim's measurement is stored once (:func:`nslkit.claims.measured`) and every page shows
that record: the ledger page and the claim's own chapter print its value, the intro prints its
headline, and the README's generated findings print its value too. This test reads the rendered
HTML (``book/_build/html``, skipped when the book is not built) and checks each claim's stored
value and headline, character for character, on the pages that show them; a chapter that
measured again and got other digits would fail here.
"""
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "book" / "_build" / "html"
built = pytest.mark.skipif(not (HTML / "intro.html").exists(), reason="the book is not built (jupyter-book build book)")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _text(page: Path) -> str:
    p = _Text()
    p.feed(page.read_text())
    return re.sub(r"\s+", " ", html.unescape(" ".join(p.parts)))


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@pytest.fixture(scope="module")
def findings():
    from nslkit import claims

    return {f.claim: f for f in claims.ledger()}


@built
def test_each_claims_value_is_the_one_stored_on_the_ledger_and_its_chapter(findings):
    from nslkit import claims

    ledger = _text(HTML / "ledger.html")
    problems = []
    for cid, f in findings.items():
        if f.verdict == "pending":
            continue
        value = _norm(f.value)
        chapter = _text(HTML / "notebooks" / f"{claims.CLAIMS[cid].chapter}.html")
        for name, page in (("ledger", ledger), (claims.CLAIMS[cid].chapter, chapter)):
            if value not in page:
                problems.append(f"{cid}: the stored value is not on {name}: {value[:120]}")
    assert not problems, "\n".join(problems)


@built
def test_each_claims_headline_is_the_one_stored_on_the_intro(findings):
    intro = _text(HTML / "intro.html")
    missing = [f"{cid}: {f.headline}" for cid, f in findings.items() if _norm(f.headline or f.value) not in intro]
    assert not missing, "\n".join(missing)


def test_the_readme_findings_are_generated_from_the_stored_results(findings):
    from nslkit.paper import summary

    assert summary.update_readme(ROOT / "README.md", summary.findings_markdown(list(findings.values())),
                                 check=True), "README's findings differ from the stored results: run " \
                                              "python -m nslkit.paper.summary"


def test_the_readme_chapter_12_block_is_generated_from_the_committed_runs(findings):
    from nslkit.paper import summary

    assert summary.update_readme(ROOT / "README.md", summary.findings_markdown(list(findings.values())),
                                 check=True, beyond=summary.beyond_markdown()), \
        "README's chapter-12 block differs from the committed runs: run python -m nslkit.paper.summary"
