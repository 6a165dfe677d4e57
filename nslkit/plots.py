"""Plots: take arrays, analysis results or :class:`~nslkit.train.Results`, draw on an optional
``ax``, return the axes. Plotting never trains and never fits: the analysis comes in ready.

Every figure of results carries the scale it was made at (seeds × steps) in its title.

Importing this module applies :data:`STYLE` to matplotlib's defaults, so the chapters' figures,
theirs and these, share it.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from .paper.scales import scale_label
from .results import Results

__all__ = ["loss_histograms", "histogram_grid", "histogram_with_peaks", "scaling_law", "interpolation",
           "network_diagram", "neuron_scatter", "ticket_functions", "ensemble_comparison", "ensemble_curve",
           "target_histograms", "median_curves", "pca_clusters", "criterion_curve", "algorithm_neurons",
           "pair_scatter", "r2_bars", "correlation_matrix", "error_functions", "distilled_histogram"]

#: The book's figure style. 150 dpi draws a 6-inch figure 900 pixels wide: wider than the book's
#: text column (about 700 CSS pixels), which shrinks it to fit and keeps it sharp; figures from
#: about 4.5 inches wide fill the column, narrower ones stay narrower (matplotlib's default is 100).
STYLE = {"figure.dpi": 150}
plt.rcParams.update(STYLE)


def _ax(ax, size=(6, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _scale_title(ax, text: str, label: str) -> None:
    ax.set_title(f"{text} ({label})", fontsize=9)


def loss_histograms(results: Mapping[int, Results], ax=None, bins: int = 40, which: str = "train_mse"):
    """Histograms of log10 final loss, one per width, on shared log-spaced bins (Figs. 2b, 3)."""
    ax = _ax(ax)
    losses = {w: np.asarray(getattr(r, which)) for w, r in results.items()}
    finite = np.concatenate([l[np.isfinite(l) & (l > 0)] for l in losses.values()])
    edges = np.logspace(np.log10(finite.min()), np.log10(finite.max()), bins + 1)
    for w, l in losses.items():
        ax.hist(l, bins=edges, histtype="step", lw=1.5, label=f"N = {w} ({l.size} networks)")
    ax.set_xscale("log")
    ax.set_xlabel("train MSE" if which == "train_mse" else "test MSE")
    ax.set_ylabel("networks")
    ax.legend()
    cfg = next(iter(results.values())).config
    _scale_title(ax, f"{cfg.target}, {cfg.activation}", scale_label(cfg))
    return ax


def histogram_with_peaks(losses: np.ndarray, peaks, ax=None, bins: int = 40, marks: Mapping[str, float] = (),
                         label: str = ""):
    """Fig. 2b: histogram of log10 loss, the KDE behind the peak finder, the peaks and boundaries.

    Args:
        losses: (S,) final losses.
        peaks: a :class:`nslkit.peaks.Peaks` of them.
        marks: {name: loss} drawn as vertical lines, e.g. the published ticket's loss.
        label: the scale label for the title.
    """
    ax = _ax(ax)
    logl = np.log10(losses)
    counts, edges, _ = ax.hist(logl, bins=bins, color="0.75", label=f"{len(losses)} networks")
    scale = counts.max() / peaks.density.max()
    ax.plot(peaks.grid, peaks.density * scale, color="C0", lw=1.2, label="KDE")
    for i, loc in enumerate(peaks.locations):
        ax.axvline(np.log10(loc), color="C0", ls=":", lw=1)
        ax.annotate(f"{loc:.1e}", (np.log10(loc), counts.max() * (0.95 - 0.1 * (i % 2))), fontsize=7,
                    ha="center", color="C0")
    for bnd in peaks.boundaries:
        ax.axvline(np.log10(bnd), color="0.4", ls="--", lw=0.6)
    for i, (name, val) in enumerate(dict(marks).items()):
        ax.axvline(np.log10(val), color=f"C{i + 3}", lw=1.5, label=f"{name} ({val:.2e})")
    ax.set_xlabel("log10 train MSE")
    ax.set_ylabel("networks")
    ax.legend(fontsize=7)
    _scale_title(ax, f"{peaks.n_modes} peaks", label)
    return ax


def histogram_grid(results: Mapping[int, Results], modes: Mapping[int, int] | None = None, bins: int = 30,
                   axes=None):
    """Fig. 3: one log10-loss histogram per width, each titled with its number of KDE modes."""
    widths = list(results)
    if axes is None:
        cols = min(len(widths), 5)
        rows = -(-len(widths) // cols)
        _, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.0 * rows), squeeze=False)
    flat = np.ravel(axes)
    for ax, w in zip(flat, widths):
        ax.hist(np.log10(results[w].train_mse), bins=bins, color="C0")
        extra = f", {modes[w]} mode{'s' if modes[w] != 1 else ''}" if modes else ""
        ax.set_title(f"N = {w}{extra}", fontsize=9)
        ax.set_xlabel("log10 MSE", fontsize=8)
    for ax in flat[len(widths):]:
        ax.set_visible(False)
    fig = flat[0].figure
    n = len(results[widths[0]].seeds)
    fig.suptitle(f"Loss histograms per width, {n:,} networks each ({scale_label(results[widths[0]].config)})",
                 fontsize=10)
    fig.tight_layout()
    return axes


def scaling_law(curves: Mapping[str, object], ax=None, guides: Sequence[float] = (1, 4), label: str = ""):
    """Fig. 1c: median loss against width, with bootstrap intervals, fitted lines and N^-α guides.

    Args:
        curves: {legend name: fit}, each fit with ``widths``, ``medians``, ``predict`` and
            optionally ``median_ci`` (a :class:`~nslkit.fits.PowerLawFit` or broken fit).
        guides: exponents of dashed N^-α guide lines, anchored at the first curve's first point.
    """
    ax = _ax(ax, (5, 4))
    for i, (name, fit) in enumerate(curves.items()):
        w, m = np.asarray(fit.widths), np.asarray(fit.medians)
        ci = getattr(fit, "median_ci", None)
        yerr = None if ci is None else np.abs(np.asarray(ci).T - m)
        ax.errorbar(w, m, yerr=yerr, fmt="o", color=f"C{i}", ms=4, capsize=2, label=name)
        grid = np.geomspace(w.min(), w.max(), 100)
        ax.plot(grid, fit.predict(grid), color=f"C{i}", lw=1)
    first = next(iter(curves.values()))
    w0, m0 = float(first.widths[0]), float(first.medians[0])
    grid = np.geomspace(w0, float(np.max(first.widths)), 50)
    for k, a in enumerate(guides):
        ax.plot(grid, m0 * (grid / w0) ** -a, ls="--", color="0.5", lw=0.8 + 0.4 * k, label=f"$N^{{-{a:g}}}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width N")
    ax.set_ylabel("median MSE")
    ax.legend(fontsize=8)
    _scale_title(ax, "scaling law", label)
    return ax


def interpolation(pieces: np.ndarray, mse: np.ndarray, fit, ax=None):
    """Fig. 1a: MSE of the piecewise-linear interpolant against its pieces, with the fitted
    :class:`~nslkit.fits.ExponentFit` MSE = prefactor · N^-alpha."""
    ax = _ax(ax, (4.5, 3.5))
    ax.loglog(pieces, mse, "o", label="measured")
    ax.loglog(pieces, fit.prefactor * pieces ** -fit.alpha, lw=1, label=f"fit: $N^{{-{fit.alpha:.3f}}}$")
    ax.set_xlabel("pieces N")
    ax.set_ylabel("MSE")
    ax.legend(fontsize=8)
    ax.set_title("piecewise-linear interpolation (exact, no training)", fontsize=9)
    return ax


def network_diagram(ax=None, width: int = 4):
    """Fig. 1b: the network f(x) = Σ_i v_i σ(w_i x + b_i) + c (Eq. 1), drawn with ``width`` neurons."""
    ax = _ax(ax, (4, 3))
    ys = np.linspace(0.9, 0.1, width)
    nodes = {"x": (0.1, 0.5), "f": (0.9, 0.5)}
    for i, y in enumerate(ys):
        nodes[i] = (0.5, y)
        for a, b, lab in (("x", i, f"$w_{i + 1}$"), (i, "f", f"$v_{i + 1}$")):
            (x0, y0), (x1, y1) = nodes[a], nodes[b]
            ax.add_patch(FancyArrowPatch((x0 + 0.05, y0), (x1 - 0.05, y1), arrowstyle="-|>", mutation_scale=8,
                                         color="0.4", lw=0.8))
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.02, lab, fontsize=7, ha="center")
    for k, (x, y) in nodes.items():
        ax.add_patch(Circle((x, y), 0.045, fc="white", ec="k"))
        text = {"x": "$x$", "f": "$f$"}.get(k, r"$\sigma$")
        ax.text(x, y, text, ha="center", va="center", fontsize=9)
    ax.text(0.5, 0.0, f"hidden layer, width N (drawn: {width})", ha="center", fontsize=8)
    ax.text(0.5, 1.0, r"$f(x)=\sum_i v_i\,\sigma(w_i x+b_i)+c$", ha="center", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.05, 1.05)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def neuron_scatter(w: np.ndarray, b: np.ndarray, ax=None, label: str = "", mirror: bool = True):
    """Fig. 2a: first-layer neurons (w_i, b_i), with their mirror images (−w_i, b_i) overlaid."""
    ax = _ax(ax, (4.5, 3.5))
    ax.scatter(w, b, s=2, alpha=0.5, label="(w, b)")
    if mirror:
        ax.scatter(-w, b, s=2, alpha=0.3, color="C1", label="(−w, b)")
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.legend(fontsize=8, markerscale=4)
    _scale_title(ax, f"first layer, N = {len(w):,}", label)
    return ax


def ticket_functions(x: np.ndarray, neurons: Mapping[str, np.ndarray], target: np.ndarray, ax=None,
                     label: str = ""):
    """Fig. 2c: each ticket's neurons v_i σ(w_i x + b_i) and the sum f(x) against the target.

    Args:
        x: (P,) inputs.
        neurons: {name: (3, P) rows v1σ1, v2σ2, f}.
        target: (P,) y(x).
    """
    ax = _ax(ax, (5, 3.5))
    ax.plot(x, target, color="k", lw=3, alpha=0.3, label="$x^2$")
    for i, (name, rows) in enumerate(neurons.items()):
        ls = ["-", "--", ":"][i % 3]
        ax.plot(x, rows[0], color="C0", ls=ls, lw=1, label=f"{name}: $v_1\\sigma_1$")
        ax.plot(x, rows[1], color="C1", ls=ls, lw=1, label=f"{name}: $v_2\\sigma_2$")
        ax.plot(x, rows[2], color="C2", ls=ls, lw=1.2, label=f"{name}: f(x)")
    ax.set_xlabel("x")
    ax.legend(fontsize=6, ncol=2)
    _scale_title(ax, "lottery tickets", label)
    return ax


def ensemble_comparison(width_losses: np.ndarray, ensemble_losses: np.ndarray, n: int, ax=None, bins: int = 30,
                        label: str = ""):
    """Fig. 4: log10-loss densities of width N and of the harmonic ensemble N/2 + N/2."""
    ax = _ax(ax, (3.2, 2.6))
    a, b = np.log10(width_losses), np.log10(ensemble_losses)
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), bins + 1)
    ax.hist(a, bins=edges, density=True, alpha=0.6, label=f"{n} ({a.size:,} networks)")
    ax.hist(b, bins=edges, density=True, alpha=0.6, label=f"{n // 2} + {n // 2} ({b.size:,} pairs)")
    ax.set_xlabel("log10 MSE", fontsize=8)
    ax.legend(fontsize=7)
    _scale_title(ax, f"N = {n}", label)
    return ax


def ensemble_curve(n: np.ndarray, curves: Mapping[str, np.ndarray], ax=None, label: str = ""):
    """C10: ensemble losses (optimum, Eq. 9 bound, ...) against the number of tickets n."""
    ax = _ax(ax, (4.5, 3.5))
    for i, (name, y) in enumerate(curves.items()):
        ax.loglog(n, y, marker="o", ms=3, lw=1, ls="-" if i % 2 == 0 else "--", label=name)
    ax.set_xlabel("tickets ensembled n")
    ax.set_ylabel(r"$|e_E|^2$")
    ax.legend(fontsize=7)
    _scale_title(ax, "Eq. 9", label)
    return ax


def target_histograms(sweeps: Mapping[str, Mapping[int, Results]], modes: Mapping[str, Mapping[int, int]] | None = None,
                      bins: int = 25, labels: Mapping[str, str] | None = None):
    """Figs. 5-6: a grid of log10-loss histograms, one row per target and one column per width.

    Args:
        sweeps: {target: {width: Results}}, every target with the same widths.
        modes: optional {target: {width: KDE modes}}, shown in each panel.
        labels: optional {target: formula} for the row labels.
    """
    names = list(sweeps)
    widths = list(next(iter(sweeps.values())))
    fig, axes = plt.subplots(len(names), len(widths), figsize=(1.45 * len(widths), 1.05 * len(names)),
                             squeeze=False)
    for i, name in enumerate(names):
        for j, w in enumerate(widths):
            ax = axes[i, j]
            ax.hist(np.log10(sweeps[name][w].train_mse), bins=bins, color="C0")
            ax.tick_params(labelsize=5, length=2)
            ax.set_yticks([])
            if modes:
                m = modes[name][w]
                ax.text(0.97, 0.9, f"{m}", transform=ax.transAxes, ha="right", va="top", fontsize=6,
                        color="C3" if m > 1 else "0.3")
            if i == 0:
                ax.set_title(f"N = {w}", fontsize=8)
        axes[i, 0].set_ylabel((labels or {}).get(name, name), fontsize=8)
    cfg = next(iter(sweeps[names[0]].values())).config
    note = "; red numbers: KDE modes > 1" if modes else ""
    fig.suptitle(f"log10 train MSE per target and width, {len(cfg.seeds):,} networks a panel ({scale_label(cfg)}{note})",
                 fontsize=9)
    fig.tight_layout()
    return axes


def median_curves(curves: Mapping[str, object], fits: Mapping[str, object] | None = None,
                  notes: Mapping[str, str] | None = None, guide: float = 1.0, label: str = "", cols: int = 5):
    """Figs. 7-8: median loss against width, one panel per target.

    Args:
        curves: {target: fit over all widths} with ``widths``, ``medians`` and ``median_ci``
            (a :class:`~nslkit.fits.PowerLawFit`), drawn as points with bootstrap intervals.
        fits: optional {target: fit} drawn as a line over its own widths.
        notes: optional {target: text} for the panel titles (e.g. the fitted shape).
        guide: exponent of the dashed N^-guide line, anchored at each fit's first point.
    """
    names = list(curves)
    cols = min(cols, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.8 * cols, 2.4 * rows), squeeze=False)
    flat = np.ravel(axes)
    for ax, name in zip(flat, names):
        c = curves[name]
        w, m = np.asarray(c.widths), np.asarray(c.medians)
        ax.errorbar(w, m, yerr=np.abs(np.asarray(c.median_ci).T - m), fmt="o-", ms=3, lw=0.8, capsize=2)
        f = (fits or {}).get(name)
        if f is not None:
            g = np.geomspace(float(np.min(f.widths)), float(np.max(f.widths)), 50)
            ax.plot(g, f.predict(g), color="C1", lw=1.2, label=f"fit: α = {f.alpha:.2f}")
            w0, m0 = float(f.widths[0]), float(f.medians[0])
            ax.plot(g, m0 * (g / w0) ** -guide, ls="--", color="0.5", lw=0.8, label=f"$N^{{-{guide:g}}}$")
            ax.legend(fontsize=6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.tick_params(labelsize=6)
        ax.set_title(f"{name}{': ' + notes[name] if notes and name in notes else ''}", fontsize=8)
    for ax in flat[len(names):]:
        ax.set_visible(False)
    fig.supxlabel("width N", fontsize=8)
    fig.supylabel("median MSE", fontsize=8)
    fig.suptitle(f"median loss against width ({label})", fontsize=9)
    fig.tight_layout()
    return axes


def pca_clusters(scores: np.ndarray, labels: np.ndarray, twin_scores: np.ndarray | None = None, ax=None,
                 label: str = "", names: Mapping[int, str] | None = None):
    """Fig. 9: networks on the first two principal components, coloured by cluster; their
    neuron-swapped twins, projected with the same PCA, as small grey crosses."""
    ax = _ax(ax, (5.5, 4.5))
    if twin_scores is not None:
        ax.scatter(twin_scores[:, 0], twin_scores[:, 1], s=12, marker="x", color="0.6", lw=0.6,
                   label="swapped twins", zorder=1)
    for k in np.unique(labels):
        m = labels == k
        ax.scatter(scores[m, 0], scores[m, 1], s=6, color=f"C{k % 10}", zorder=2,
                   label=(names or {}).get(int(k), f"cluster {k}") + f" ({m.sum()})")
    ax.axhline(0, color="0.8", lw=0.6, zorder=0)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.legend(fontsize=6, markerscale=1.5, loc="best")
    _scale_title(ax, "width-2 networks in parameter space", label)
    return ax


def criterion_curve(candidates: np.ndarray, scores: np.ndarray, chosen: int, name: str, ax=None):
    """The clustering criterion against the number of mixture components, the choice marked."""
    ax = _ax(ax, (3.5, 2.6))
    ax.plot(candidates, scores, "o-", ms=3)
    ax.axvline(chosen, color="C3", ls="--", lw=1, label=f"chosen: {chosen}")
    ax.set_xlabel("mixture components k")
    ax.set_ylabel(name)
    ax.legend(fontsize=7)
    return ax


def algorithm_neurons(p7_rows: Sequence[np.ndarray], titles: Sequence[str], x: np.ndarray, axes=None,
                      versus: str = "x", label: str = ""):
    """Figs. 10-11: each neuron's post-activation σ(w x + b) of one network per algorithm,
    against the input x (``versus="x"``) or against its pre-activation z (``versus="z"``, over
    SiLU drawn in grey)."""
    n = len(p7_rows)
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(2.7 * n, 2.4), squeeze=False)
    flat = np.ravel(axes)
    zz = np.linspace(-9, 9, 400)
    for ax, p, title in zip(flat, p7_rows, titles):
        if versus == "z":
            ax.plot(zz, zz / (1 + np.exp(-zz)), color="0.8", lw=3, label="SiLU")
        for i in range(2):
            z = p[i] * x + p[2 + i]
            h = z / (1 + np.exp(-z))
            ax.plot(z if versus == "z" else x, h, color=f"C{i}", lw=1.8, label=f"neuron {i + 1}")
        ax.set_xlabel("pre-activation z" if versus == "z" else "x", fontsize=8)
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=6)
    flat[0].set_ylabel("σ(z)", fontsize=8)
    flat[0].legend(fontsize=6)
    fig = flat[0].figure
    fig.suptitle(f"post-activations against {'pre-activations' if versus == 'z' else 'inputs'} ({label})", fontsize=9)
    fig.tight_layout()
    return axes


def pair_scatter(w: np.ndarray, b: np.ndarray, pairs: np.ndarray, ax=None, title: str = ""):
    """Fig. 12, first column: a network's first layer (w_i, b_i), each symmetric pair joined."""
    ax = _ax(ax, (3, 2.6))
    for i, j in pairs:
        ax.plot([w[i], w[j]], [b[i], b[j]], color="0.7", lw=0.6, zorder=1)
    ax.scatter(w, b, s=6, zorder=2)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("w", fontsize=8)
    ax.set_ylabel("b", fontsize=8)
    ax.set_title(title, fontsize=8)
    return ax


def r2_bars(r2: np.ndarray, ax=None, title: str = "", good: float = 0.99):
    """Fig. 12, second column: each pair's R² with the target, best first."""
    ax = _ax(ax, (3, 2.6))
    r = np.sort(np.asarray(r2))[::-1]
    ax.bar(np.arange(len(r)), r, color=np.where(r >= good, "C0", "C3"), width=0.9)
    ax.axhline(good, color="0.5", ls="--", lw=0.6)
    ax.set_ylim(min(0.0, float(r.min())), 1.02)
    ax.set_xlabel("pair (by R²)", fontsize=8)
    ax.set_ylabel("R²", fontsize=8)
    ax.set_title(title, fontsize=8)
    return ax


def correlation_matrix(corr: np.ndarray, ax=None, title: str = ""):
    """Fig. 12, third column: cosine similarities of the pairs' error functions."""
    ax = _ax(ax, (3, 2.6))
    im = ax.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=6)
    return ax


def error_functions(x: np.ndarray, errors: np.ndarray, ax=None, title: str = ""):
    """Fig. 12, fourth column: the error functions e_k(x) of the pairs."""
    ax = _ax(ax, (3, 2.6))
    for e in errors:
        ax.plot(x, e, lw=0.7, alpha=0.7)
    for m in (-1.6, 0.0, 1.6):
        ax.axvline(m, color="0.8", ls=":", lw=0.8)
    ax.set_xlabel("x", fontsize=8)
    ax.set_title(title, fontsize=8)
    return ax


def distilled_histogram(distilled: np.ndarray, trained: np.ndarray, ax=None, bins: int = 40, label: str = ""):
    """Fig. 13: log10 MSE of distilled width-2 networks against trained width-2 networks."""
    ax = _ax(ax, (5.5, 3.5))
    a, b = np.log10(distilled), np.log10(trained)
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), bins + 1)
    ax.hist(a, bins=edges, alpha=0.6, label=f"distilled from width 50 ({len(a)})")
    ax.hist(b, bins=edges, alpha=0.6, label=f"trained width 2 ({len(b)})")
    ax.axvline(-16, color="0.4", ls="--", lw=0.8, label="1e-16")
    ax.set_xlabel("log10 train MSE")
    ax.set_ylabel("networks")
    ax.legend(fontsize=7)
    _scale_title(ax, "distillation", label)
    return ax
