"""This paper's claims and runs: what Liu & Tegmark (2023) did, and what we measure of it.

``protocol`` (the published ticket as evidence for the open protocol questions), ``scales`` (the
experiments as data: scales, widths, targets), ``study`` (loads or trains them), ``findings``,
``sections``, ``appendices`` and ``tickets`` (each claim's criterion and measurement, no I/O),
``ledger`` (reads the store) and ``claims`` (their public face, ``nslkit.claims``); the
chapters' own runs and analyses (``robustness``, ``minima``, ``optimum``), the derived results
kept beside the runs (``derived``), and ``reproduce``: every run the book reads at a scale, what
the store holds of it, and the command that trains what is missing and builds the book. These modules
sit on top: they may import anything below them, and nothing below imports them.
"""
