"""The built book reads offline: no page loads a script or stylesheet from the network, and its
formulas render (MathJax served from the book itself), checked in a real headless browser.

These tests read ``book/_build/html`` and skip when it has not been built (``make test`` builds
the book after the first pytest run, then runs this file again). The browser test needs Debian's
``chromium`` (``apt-get install chromium``) and skips without it.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HTML = Path(__file__).resolve().parent.parent / "book" / "_build" / "html"
PAGES = sorted(HTML.rglob("*.html")) if HTML.is_dir() else []
built = pytest.mark.skipif(not (HTML / "intro.html").exists(), reason="the book is not built (jupyter-book build book)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# a script or stylesheet that the page loads from another host
EXTERNAL = re.compile(r"""<(?:script[^>]*\ssrc|link[^>]*\shref)=["'](?:https?:)?//""", re.I)


@built
def test_no_page_loads_an_external_script_or_stylesheet():
    bad = {}
    for page in PAGES:
        tags = [m.group(0) for m in re.finditer(r"<(?:script|link)\b[^>]*>", page.read_text(errors="replace"))]
        found = [t for t in tags if EXTERNAL.search(t) and ("<script" in t.lower() or "stylesheet" in t.lower())]
        if found:
            bad[page.name] = found[:3]
    assert not bad, bad


@built
def test_mathjax_is_served_from_the_book():
    assert (HTML / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert 'src="_static/mathjax/tex-chtml.js' in (HTML / "intro.html").read_text()


def _rendered_dom(page: Path) -> str:
    """The page's DOM after scripts ran, in headless chromium with every network request refused."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # no network
           "--virtual-time-budget=20000", "--dump-dom", page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout


@built
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
@pytest.mark.parametrize("name", ["intro.html", "notebooks/01_scaling_law.html"])
def test_math_renders_without_a_network(name):
    dom = _rendered_dom(HTML / name)
    assert "</html>" in dom, "chromium returned no page"
    assert dom.count("<mjx-container") >= 3, "MathJax rendered no formula"
    text = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    assert "\\(" not in text and "\\)" not in text, "raw TeX left in the page"


# ---- the API reference and the claims page (issue 33) ---------------------------------------------

def _text(html: str) -> str:
    """A page's text: tags dropped, entities and whitespace normalised."""
    import html as html_lib

    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


#: Entry points the API page must document (their anchors, as autodoc names them).
API_ENTRIES = ["nslkit.TrainConfig", "nslkit.TrainConfig.experiment_key", "nslkit.run", "nslkit.sweep",
               "nslkit.train", "nslkit.Results", "nslkit.Store", "nslkit.Store.load", "nslkit.StoreError",
               "nslkit.analysis.fits.power_law_fit", "nslkit.analysis.fits.broken_power_law_fit",
               "nslkit.analysis.peaks.find_peaks", "nslkit.analysis.ensembles.harmonic_ensemble",
               "nslkit.analysis.symmetry.mirror_test", "nslkit.analysis.disentangle.tickets",
               "nslkit.analysis.algorithms.find_algorithms", "nslkit.paper.findings.CLAIMS",
               "nslkit.paper.findings.Finding", "nslkit.paper.findings.verdict_of", "nslkit.paper.ledger.ledger",
               "nslkit.paper.ledger.ledger_table", "nslkit.paper.sections.measure_c1",
               "nslkit.paper.appendices.measure_c18"]


@built
def test_the_api_page_documents_the_entry_points_with_examples():
    page = (HTML / "api.html").read_text()
    missing = [name for name in API_ENTRIES if f'id="{name}"' not in page]
    assert not missing, f"not on the API page: {missing}"
    assert page.count('class="highlight-pycon') + page.count('class="doctest') >= 5, "no >>> examples rendered"
    assert "range(0, 1000)" in _text(page) and "999" not in _text(page).split("nslkit.seed_list")[0][-3000:]


@built
def test_the_api_page_documents_every_trainconfig_field_on_its_own():
    import dataclasses

    from sphinx.pycode import ModuleAnalyzer

    from nslkit import TrainConfig

    page = (HTML / "api.html").read_text()
    docs = ModuleAnalyzer.for_module("nslkit.config").find_attr_docs()
    for f in dataclasses.fields(TrainConfig):
        start = page.find(f'id="nslkit.TrainConfig.{f.name}"')
        assert start >= 0, f"TrainConfig.{f.name} has no entry of its own"
        entry = _text(page[start:page.find("</dd>", start)])
        words = re.findall(r"[A-Za-z]{3,}", " ".join(docs[("TrainConfig", f.name)]))[:4]
        assert all(w in entry for w in words), f"TrainConfig.{f.name}: its doc {words} is not in {entry[:200]!r}"


@built
def test_the_claims_page_is_built_and_in_the_navigation():
    text = _text((HTML / "claims.html").read_text())
    assert all(f"C{i}" in text for i in range(1, 19))
    assert "What the paper leaves open" in text
    assert 'href="claims.html"' in (HTML / "intro.html").read_text()  # in the table of contents
    assert 'href="claims.html"' in (HTML / "ledger.html").read_text()  # the ledger cites it


def test_the_build_writes_no_stub_pages_into_the_repository():
    """autosummary makes its tables without stub pages (autosummary_generate false, no :toctree:)."""
    book = HTML.parent.parent
    stubs = [p for p in book.rglob("*.rst")] + [p for p in book.rglob("generated") if "_build" not in p.parts]
    assert not stubs, stubs
