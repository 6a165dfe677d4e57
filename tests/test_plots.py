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
