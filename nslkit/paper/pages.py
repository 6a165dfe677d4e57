"""The chapters' bookkeeping, out of the reader's way: which runs a chapter reads and whether
they are committed, and the numbers a page glues into its prose.
"""
from __future__ import annotations

import math
import os
from typing import Any, Mapping

from ..config import TrainConfig
from ..store import Store, StoreError
from .scales import scale_label

__all__ = ["run_table", "glue_all"]


def run_table(named: Mapping[str, Mapping[str, tuple[TrainConfig, tuple[int, ...]]]],
              store: Store | str | os.PathLike | None = None, label=None):
    """A chapter's runs ({stage: {name: (config, widths)}}) as a pandas DataFrame indexed by
    (stage, run): the optimiser (``label(cfg)``, when given), the scale, the widths, the work in
    neuron·point-steps (seeds × Σ widths × points × steps; for L-BFGS, iterations), the wall time
    the stored chunks' provenance records, and whether every seed of every width is stored; where
    not, which widths are missing and their work.

    Args:
        named: {stage: {name: (config, widths)}}, the chapter's runs.
        store: the results store (default :func:`nslkit.default_results_dir`).
        label: a function of a config naming its optimiser, or None.
    """
    import pandas as pd

    st = store if isinstance(store, Store) else Store(store)
    rows = []
    for stage, runs in named.items():
        for name, (cfg, widths) in runs.items():
            missing, wall = [], 0.0
            for w in widths:
                c = cfg.replace(width=w)
                try:
                    lacking = st.missing(c)
                    wall += sum(float(p.get("wall_s", math.nan)) for p in st.runs(c))
                except StoreError:
                    lacking = c.seeds
                if lacking:
                    missing.append(w)
            work = len(cfg.seeds) * sum(widths) * cfg.points * cfg.steps
            todo = len(cfg.seeds) * sum(missing) * cfg.points * cfg.steps
            rows.append({"stage": stage, "run": name, **({"optimiser": label(cfg)} if label else {}),
                         "scale": scale_label(cfg), "widths": ", ".join(map(str, widths)), "work": f"{work:.1e}",
                         "recorded wall time": f"{wall / 60:.0f} min" if wall and math.isfinite(wall) else "",
                         "status": "committed" if not missing else
                         f"widths {', '.join(map(str, missing))} not run yet ({todo:.1e} neuron·point-steps)"})
    return pd.DataFrame(rows).set_index(["stage", "run"])


def glue_all(values: Mapping[str, Any], prefix: str = "") -> None:
    """myst-nb ``glue`` of every value under ``prefix + name``, without display: NumPy scalars as
    plain Python numbers (their reprs break the page's format strings).

    Args:
        values: {name: value}.
        prefix: put before every name.
    """
    from myst_nb import glue

    for name, value in values.items():
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            value = value.item()
        glue(f"{prefix}{name}", value, display=False)
