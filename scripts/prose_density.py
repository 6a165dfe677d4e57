"""Words of prose per line of code in each notebook (the lecture books run about 9 to 13).

    python scripts/prose_density.py notebooks/*.ipynb

Prose: the words of the Markdown cells (code spans and math count as words; links count by
their text). Code: the non-blank lines of the code cells that are not comments. Cells tagged
``remove-cell`` count for neither.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def density(path: Path) -> tuple[int, int]:
    """(words of prose, lines of code) of one notebook."""
    nb = json.loads(path.read_text())
    words = lines = 0
    for cell in nb["cells"]:
        if "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", src)  # links count by their text
            words += len(re.findall(r"\S+", re.sub(r"^#+\s*", "", text, flags=re.M)))
        elif cell["cell_type"] == "code":
            lines += sum(1 for line in src.splitlines() if line.strip() and not line.strip().startswith("#"))
    return words, lines


def main(argv: list[str]) -> int:
    for p in map(Path, argv):
        w, n = density(p)
        print(f"{p.name:32s} {w:6d} words {n:5d} code lines {w / max(n, 1):6.1f} words/line")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
