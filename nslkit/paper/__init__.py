"""This paper's claims and runs: what Liu & Tegmark (2023) did, and what we measure of it.

``protocol`` (the published ticket as evidence for the open protocol questions), ``scales`` (the
experiments as data: scales, widths, targets), ``study`` (loads or trains them), ``findings``,
``sections``, ``appendices`` and ``tickets`` (each claim's criterion and measurement, no I/O),
``ledger`` (reads the store) and ``claims`` (their public face, ``nslkit.claims``). These modules
sit on top: they may import anything below them, and nothing below imports them.
"""
