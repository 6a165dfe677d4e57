"""Plots draw what they are given, say the scale, and return their axes."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nslkit as nk  # noqa: E402
from nslkit import plots  # noqa: E402

LABEL = "100 seeds × 50,000 steps, float64"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_scaling_law_draws_each_fit_and_the_guides():
    rng = np.random.default_rng(0)
    widths = [10, 20, 30, 40, 50]
    fit = nk.fits.power_law_fit(widths, [1e-3 / w * rng.lognormal(0, 0.1, 50) for w in widths], n_boot=50)
    ax = plots.scaling_law({"SiLU": fit}, guides=(1, 4), label=LABEL)
    assert LABEL in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"SiLU", "$N^{-1}$", "$N^{-4}$"} <= set(labels)
    data = ax.lines[0]  # the medians; then the error bars' caps, the fitted line, the guides
    np.testing.assert_allclose(data.get_ydata(), fit.medians)
    line = next(ln for ln in ax.lines if len(ln.get_xdata()) == 100)
    np.testing.assert_allclose(line.get_ydata(), fit.predict(line.get_xdata()))


def test_histogram_with_peaks_marks_peaks_and_given_losses():
    rng = np.random.default_rng(1)
    losses = np.concatenate([10 ** (-5 + 0.05 * rng.standard_normal(50)), 10 ** (-3 + 0.05 * rng.standard_normal(50))])
    peaks = nk.peaks.find_peaks(losses)
    ax = plots.histogram_with_peaks(losses, peaks, marks={"published ticket": 7.79e-6}, label=LABEL)
    xs = {round(float(line.get_xdata()[0]), 6) for line in ax.lines[1:]}
    assert {round(float(np.log10(p)), 6) for p in peaks.locations} <= xs
    assert round(float(np.log10(7.79e-6)), 6) in xs
    assert "2 peaks" in ax.get_title() and LABEL in ax.get_title()


def test_neuron_scatter_overlays_the_mirror_image():
    w, b = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, 0.3])
    ax = plots.neuron_scatter(w, b, label=LABEL)
    np.testing.assert_array_equal(ax.collections[1].get_offsets()[:, 0], -w)
    assert "N = 3" in ax.get_title()


def test_ensemble_comparison_and_curve_use_the_given_axes():
    fig, (a1, a2) = plt.subplots(1, 2)
    assert plots.ensemble_comparison(np.array([1e-3, 2e-3]), np.array([5e-4, 6e-4]), 4, ax=a1, label=LABEL) is a1
    assert "N = 4" in a1.get_title()
    ax = plots.ensemble_curve(np.arange(1, 4), {"best": np.array([1.0, 0.5, 0.3]), "bound": np.ones(3)}, ax=a2)
    assert ax is a2 and len(ax.lines) == 2


def test_network_diagram_draws_width_neurons():
    ax = plots.network_diagram(width=3)
    sigmas = [t for t in ax.texts if t.get_text() == r"$\sigma$"]
    assert len(sigmas) == 3


def _results(target: str, width: int, S: int = 30):
    rng = np.random.default_rng(width)
    cfg = nk.scale_config("cpu", seeds=S, target=target, width=width)
    D = cfg.dim
    z = np.zeros(S)
    return nk.Results(cfg, 1e-3 * rng.lognormal(0, 1, S), z + 1, rng.normal(size=(S, width, D)),
                      rng.normal(size=(S, width)), rng.normal(size=(S, width)), z, np.array([0]), np.ones((S, 1)))


def test_target_histograms_is_a_target_by_width_grid():
    sweeps = {t: {w: _results(t, w) for w in (1, 2, 10)} for t in ("x2", "sin")}
    modes = {t: {1: 2, 2: 1, 10: 1} for t in sweeps}
    axes = plots.target_histograms(sweeps, modes=modes, labels={"x2": "x²", "sin": "sin x"})
    assert axes.shape == (2, 3)
    assert axes[1, 0].get_ylabel() == "sin x" and axes[0, 2].get_title() == "N = 10"
    assert "30 seeds × 50,000 steps" in axes[0, 0].figure._suptitle.get_text()
    assert [t.get_text() for t in axes[0, 0].texts] == ["2"]


def test_median_curves_one_panel_per_target_with_its_fit():
    rng = np.random.default_rng(1)
    widths = [1, 2, 10, 20, 30]
    curves = {t: nk.fits.power_law_fit(widths, [1e-3 / w * rng.lognormal(0, 0.1, 40) for w in widths], n_boot=20)
              for t in ("a", "b", "c")}
    axes = plots.median_curves(curves, fits={"a": curves["a"]}, notes={"a": "N^-1"}, label=LABEL, cols=2)
    flat = np.ravel(axes)
    assert flat[0].get_title() == "a: N^-1" and not flat[3].get_visible()
    assert len(flat[0].get_legend().get_texts()) == 2 and flat[1].get_legend() is None
    assert LABEL in flat[0].figure._suptitle.get_text()


def test_algorithm_plots():
    rng = np.random.default_rng(2)
    scores, labels = rng.normal(size=(40, 2)), np.repeat([0, 1], 20)
    ax = plots.pca_clusters(scores, labels, scores * [1, -1], label=LABEL)
    assert LABEL in ax.get_title() and len(ax.collections) == 3  # twins + 2 clusters
    ax = plots.criterion_curve(np.arange(2, 6), np.array([0.3, 0.5, 0.4, 0.2]), 3, "silhouette")
    assert ax.get_ylabel() == "silhouette"
    p7 = [np.array([0.8, -0.8, -1.2, -1.2, 5.7, 5.7, 3.1])] * 2
    x = np.linspace(-2, 2, 50)
    axes = plots.algorithm_neurons(p7, ["one", "two"], x, versus="z", label=LABEL)
    assert [a.get_title() for a in np.ravel(axes)] == ["one", "two"]
    assert len(np.ravel(axes)[0].lines) == 3  # SiLU and two neurons


def test_disentangling_and_distillation_plots():
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=6), rng.normal(size=6)
    ax = plots.pair_scatter(w, b, np.array([[0, 1], [2, 3], [4, 5]]), title="N = 6")
    assert len(ax.lines) == 3 + 1  # one segment per pair, and the axis line
    ax = plots.r2_bars(np.array([0.5, 0.999, 0.2]))
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.999, 0.5, 0.2]
    plots.correlation_matrix(np.eye(3))
    ax = plots.error_functions(np.linspace(-2, 2, 10), rng.normal(size=(4, 10)))
    assert len(ax.lines) == 4 + 3
    ax = plots.distilled_histogram(10.0 ** rng.uniform(-19, -5, 50), 10.0 ** rng.uniform(-6, -3, 50), label=LABEL)
    assert LABEL in ax.get_title()
