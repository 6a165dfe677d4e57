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
