"""Analysis: reusable measurements on trained networks, given as NumPy arrays.

Power laws (``fits``, ``shapes``), histogram peaks (``peaks``), neuron symmetry (``symmetry``),
ensembles (``ensembles``), paired comparisons of exponents (``paired``), the joint law L(N, T)
(``joint``), width-2 algorithms (``algorithms``), disentangling (``disentangle``) with its least
squares (``lstsq``), the width-2 seven-vector (``width2``), and the minimum finder (``minfinder``)
with its landscape (``landscape``), its positive controls (``controls``) and its
extended-precision check (``extended``). These modules import only each other and the base
modules ``activations`` and ``checks``: never the trainer, the backends, the store or the
paper's claims (a test enforces it), so they serve any population of networks.
"""
