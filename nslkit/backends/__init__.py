"""Backends: interchangeable ways to run the same training step, and the tools that measure them.

``compiled`` (TorchInductor), ``triton_step`` (one Triton kernel per Adam step)
and ``triton_sweep`` (every width of a sweep in one CUDA-graph launch sequence) compute what the
eager step of :mod:`nslkit.population` computes; ``loop`` (with its numba kernels in
``loop_kernel``) and ``triton_loop`` run the whole Adam schedule inside one CPU or GPU kernel
per segment of steps; ``lbfgs`` trains with SciPy's L-BFGS-B instead,
one network at a time, on the same loss; ``reference`` is the naive per-network loop they
are tested against, ``roofline`` the arithmetic bound and ``bench`` the benchmark. They import
the base modules (config, data, population, results, provenance); :mod:`nslkit.train` picks one,
and only ``bench``, which times the trainer itself, imports ``train``.
"""
