"""The robustness chapter's runs and measurements: do the verdicts survive longer training,
float32, other LeakyReLU protocols, polishing to a true minimum, and widths beyond 50?

:func:`runs` names every run (stage → {name: (config, widths)}); ``python -m nslkit reproduce``
(stage "robustness") trains them (:data:`RUNS`) and the chapter loads them through the same configs.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..analysis import disentangle, fits, limits
from ..config import TrainConfig
from ..data import training_data
from ..experiment import sweep
from ..results import Results
from .scales import SCALING_WIDTHS, SWEEP_WIDTHS, scale_config

__all__ = ["LONG_STEPS", "FLOAT32_SEEDS", "WIDER_WIDTHS", "LEAKY_VARIANTS", "RUNS", "long_config",
           "float32_config", "leaky_config", "wide_config", "runs", "alpha_over_training", "alpha_at", "late_drop",
           "collapse_fractions", "active", "useless_fractions_active", "load", "SUMMARY_CLAIMS", "summary_cells",
           "summary", "robust_to"]

#: Longer trainings of the convergence question, the paper's schedule stretched (lr × 0.2 every T/5).
LONG_STEPS = (200_000, 500_000)
#: Seeds of the float32 main sweep (its float64 twin is the first seeds of the committed 1000).
FLOAT32_SEEDS = 200
#: Widths beyond the paper's 50 (SiLU, 100 seeds, the paper's protocol).
WIDER_WIDTHS = (100, 200, 500, 1000)
#: LeakyReLU protocol variants for C2 (100 seeds each unless said): name -> TrainConfig fields.
LEAKY_VARIANTS = {
    "slope 0 (ReLU)": {"activation": "relu"},
    "slope 0.1": {"negative_slope": 0.1},
    "lr × 0.3": {"lr": 3e-3},
    "lr × 3": {"lr": 3e-2},
    "P = 1000 (50 seeds)": {"points": 1000, "seeds": 50},
}


def long_config(activation: str, steps: int) -> TrainConfig:
    """100 seeds of y = x² trained longer, with the paper's schedule stretched.

    Args:
        activation: σ.
        steps: the steps; the learning rate decays every steps/5.
    """
    return scale_config("cpu", steps=steps, target="x2", activation=activation)


def float32_config(activation: str) -> TrainConfig:
    """The main sweep in float32 at :data:`FLOAT32_SEEDS` seeds.

    Args:
        activation: σ.
    """
    return scale_config("paper", seeds=FLOAT32_SEEDS, target="x2", activation=activation, dtype="float32")


def leaky_config(variant: str) -> TrainConfig:
    """The LeakyReLU main sweep (100 seeds × 50,000 steps) under another protocol.

    Args:
        variant: a key of :data:`LEAKY_VARIANTS`.
    """
    fields = dict(LEAKY_VARIANTS[variant])
    seeds = fields.pop("seeds", None)
    return scale_config("cpu", seeds=seeds, target="x2", **{"activation": "leaky_relu", **fields})


def wide_config() -> TrainConfig:
    """100 SiLU networks of y = x² per width, the paper's protocol."""
    return scale_config("cpu", target="x2", activation="silu")


def runs(scale: str = "full") -> dict[str, dict[str, tuple[TrainConfig, tuple[int, ...]]]]:
    """Every run of the chapter, stage → {name: (config, widths)}.

    Args:
        scale: "full", the committed runs (:data:`RUNS`); or "smoke", the same questions on 4
            seeds and a few hundred steps, for tests.
    """
    if scale == "full":
        return {
            "long": {f"{act} {steps:,} steps": (long_config(act, steps), SCALING_WIDTHS)
                     for steps in LONG_STEPS for act in ("silu", "leaky_relu")},
            "float32": {f"{act} float32": (float32_config(act), SWEEP_WIDTHS) for act in ("silu", "leaky_relu")},
            "leaky": {v: (leaky_config(v), SWEEP_WIDTHS if "P = 1000" not in v else
                          tuple(w for w in SWEEP_WIDTHS if w >= 10)) for v in LEAKY_VARIANTS},
            "wide": {"silu N = 100-1000": (wide_config(), WIDER_WIDTHS)},
        }
    if scale != "smoke":
        raise ValueError(f"unknown scale {scale!r}; valid scales: 'full', 'smoke'")
    small = dict(seeds=4, steps=300)
    few = (2, 4, 10, 20, 30)
    return {
        "long": {f"{act} {steps:,} steps": (scale_config("smoke", seeds=4, steps=steps, activation=act), (10, 20, 30))
                 for steps in (600, 1500) for act in ("silu", "leaky_relu")},
        "float32": {f"{act} float32": (scale_config("smoke", **small, activation=act, dtype="float32"), few)
                    for act in ("silu", "leaky_relu")},
        "leaky": {v: (scale_config("smoke", **small, **{"activation": "leaky_relu", **{
            k: x for k, x in f.items() if k != "seeds"}}), few) for v, f in LEAKY_VARIANTS.items()},
        "wide": {"silu N = 100-1000": (scale_config("smoke", **small, activation="silu"), (60, 100))},
    }


#: The committed runs (:func:`runs` at "full").
RUNS = runs()


# ---- convergence -------------------------------------------------------------------------------

def alpha_over_training(sweep: Mapping[int, Results], widths=SCALING_WIDTHS) -> tuple[np.ndarray, np.ndarray]:
    """(steps (K,), α (K,)): the exponent of median loss against width at every sampled step of
    the stored loss curves (a point estimate per step; intervals at chosen steps come from
    :func:`alpha_at`).

    Args:
        sweep: {width: Results}.
        widths: the widths to fit, those of ``sweep`` among them (default 10..50).
    """
    widths = [w for w in widths if w in sweep]
    steps = np.asarray(sweep[widths[0]].curve_steps)
    meds = np.stack([np.median(sweep[w].curve_loss, axis=0) for w in widths])  # (W, K)
    alpha = np.array([fits.fit_exponent(widths, meds[:, k]).alpha for k in range(steps.size)])
    return steps, alpha


def alpha_at(sweep: Mapping[int, Results], step: int, widths=SCALING_WIDTHS, n_boot: int = 1000) -> fits.PowerLawFit:
    """The power-law fit (with its bootstrap interval) of the losses at one sampled step.

    Args:
        sweep, widths: as for :func:`alpha_over_training`.
        step: the sampled step nearest to it is taken (the loss before that step's update; the
            final loss for the last step).
        n_boot: bootstrap resamples (default 1000).
    """
    widths = [w for w in widths if w in sweep]
    steps = np.asarray(sweep[widths[0]].curve_steps)
    k = int(np.argmin(np.abs(steps - step)))
    losses = [sweep[w].train_mse if k == steps.size - 1 else sweep[w].curve_loss[:, k] for w in widths]
    return fits.power_law_fit(widths, losses, n_boot=n_boot)


def late_drop(sweep: Mapping[int, Results], last: int = 10_000) -> dict[int, float]:
    """{width: median loss ``last`` steps before the end / median final loss}: how much the last
    steps still gained (1: converged).

    Args:
        sweep: {width: Results}.
        last: steps before the end (default 10,000).
    """
    out = {}
    for w, r in sweep.items():
        steps = np.asarray(r.curve_steps)
        k = int(np.argmin(np.abs(steps - (r.config.steps - last))))
        out[w] = float(np.median(r.curve_loss[:, k]) / np.median(r.train_mse))
    return out


# ---- collapsed neurons ---------------------------------------------------------------------------

def collapse_fractions(results: Mapping[int, Results], tol: float = limits.COLLAPSE_TOL) -> dict[int, float]:
    """{width: median over networks of the fraction of collapsed neurons (w, b, v all ~ 0)}.

    Args:
        results: {width: Results}.
        tol: as for :func:`~nslkit.analysis.limits.collapsed`.
    """
    return {w: float(np.median(limits.collapsed(r.w, r.b, r.v, tol).mean(axis=1))) for w, r in results.items()}


def active(res: Results, seed_index: int = 0, tol: float = limits.COLLAPSE_TOL) -> Results:
    """One network with its collapsed neurons removed, as a one-seed Results.

    Args:
        res: the results of one width.
        seed_index: which network, by position (default 0).
        tol: as for :func:`~nslkit.analysis.limits.collapsed`.
    """
    keep = ~limits.collapsed(res.w, res.b, res.v, tol)[seed_index]
    s = slice(seed_index, seed_index + 1)
    cfg = res.config.replace(seeds=(res.seeds[seed_index],), width=int(keep.sum()))
    return Results(cfg, res.train_mse[s], res.test_mse[s], res.w[s][:, keep], res.b[s][:, keep], res.v[s][:, keep],
                   res.c[s], res.curve_steps, None if res.curve_loss is None else res.curve_loss[s], res.provenance)



# ---- loading the variants ------------------------------------------------------------------------

def load(stage: str, scale: str = "full", store=None, train: bool = False) -> dict[str, dict[int, Results]]:
    """The runs of one stage of :func:`runs`, {name: {width: Results}}.

    Args:
        stage: a stage of :func:`runs`, e.g. "long".
        scale: as for :func:`runs`.
        store: the results store.
        train: train what is missing; without it a run not (yet) stored is left out, and one
            stored at some widths only keeps those.
    """
    out = {}
    for name, (cfg, widths) in runs(scale)[stage].items():
        try:
            out[name] = sweep(cfg, widths, store=store, train=train, progress=False)
        except FileNotFoundError:
            some = {}
            for w in widths:
                try:
                    some.update(sweep(cfg, [w], store=store, train=False, progress=False))
                except FileNotFoundError:
                    continue
            if some:
                out[name] = some
    return out


def useless_fractions_active(res: Results, tol: float = limits.COLLAPSE_TOL) -> np.ndarray:
    """(S,) the fraction of useless pairs (R² < 0.5) of each network when only its active
    (not collapsed) neurons are paired; an odd active neuron out, the one of smallest abs(v).

    Args:
        res, tol: as for :func:`active`.
    """
    x, y = (t.numpy() for t in training_data(res.config))
    out = np.empty(len(res.seeds))
    dead = limits.collapsed(res.w, res.b, res.v, tol)  # (S, N)
    for s in range(len(res.seeds)):
        keep = np.flatnonzero(~dead[s])
        if keep.size % 2:
            keep = np.delete(keep, np.argmin(np.abs(res.v[s, keep])))
        t = disentangle.tickets(res.w[s, keep], res.b[s, keep], res.v[s, keep], res.c[s], x[:, 0], y,
                                res.config.activation, res.config.negative_slope)
        out[s] = float(np.mean(t.r2 < disentangle.USELESS_R2))
    return out


def c17_readings(nets: Mapping[int, Results], scale: str, store=None, recompute: bool = False) -> dict[str, dict]:
    """C17 read two ways, {reading: {"useless at N = 1000", "95% interval", "half useless",
    "verdict", "ours"}}: over all neurons, and over the active (not collapsed) neurons only of
    the width-1000 networks (:func:`useless_fractions_active`). Kept as the derived result
    "robustness_c17_<scale>" (pairing the width-1000 networks takes about a minute)."""
    from . import claims
    from .derived import derived_result

    def compute():
        out = {}
        for reading, f in (("all neurons", claims.measure_c17(nets)),
                           ("active neurons only",
                            claims.measure_c17(nets, {1000: useless_fractions_active(nets[1000])}))):
            out[reading] = {"useless at N = 1000": float(f.numbers["useless"][1000]),
                            "95% interval": [float(v) for v in f.numbers["useless_ci"][1000]],
                            "half useless": {True: "met", False: "missed", None: "undecided"}[f.criteria[1].outcome],
                            "verdict": f.verdict, "ours": f.value}
        return out

    return derived_result(f"robustness_c17_{scale}", [*nets.values(), "readings: all neurons, active neurons only"],
                          compute, store=store, recompute=recompute)


# ---- the summary: each claim's verdict under each variant ----------------------------------------

#: The rows of the chapter's summary: the claims its questions touch.
SUMMARY_CLAIMS = ("C1", "C2", "C5", "C7", "C9", "C17", "C18")


def _with_losses(sweep: Mapping[int, Results], losses: Mapping[int, np.ndarray]) -> dict[int, Results]:
    """The runs of ``sweep`` restricted to as many seeds as ``losses`` gives, with those losses."""
    out = {}
    for w, mse in losses.items():
        r, k = sweep[w], len(mse)
        out[w] = Results(r.config.replace(seeds=r.seeds[:k]), np.asarray(mse), r.test_mse[:k], None, None, None,
                         None, None, None, r.provenance)
    return out


def summary_cells(silu: Mapping[int, Results], leaky: Mapping[int, Results], wide: Results, nets: Mapping[int, Results],
                  variants: Mapping[str, Mapping[str, Mapping[int, Results]]], polished_losses=None) -> dict:
    """{variant: {claim: verdict}} for the variants whose runs are given (absent claims: not
    applicable).

    Args:
        silu, leaky: the paper's protocol, the main sweeps {width: Results}.
        wide: the width-10000 network.
        nets: C17's widths {width: Results}.
        variants: {stage: :func:`load` of the stage}.
        polished_losses: {N: MSE} after :func:`nslkit.paper.optimum.polished`, or None.
    """
    from . import claims

    cells: dict[str, dict[str, str]] = {}
    long = variants.get("long", {})
    for steps in LONG_STEPS:
        s, l_ = long.get(f"silu {steps:,} steps"), long.get(f"leaky_relu {steps:,} steps")
        cells[f"{steps:,} steps"] = {**({"C1": claims.measure_c1(s).verdict} if s else {}),
                                     **({"C2": claims.measure_c2(l_).verdict} if l_ else {})}
    f32 = variants.get("float32", {})
    s32, l32 = f32.get("silu float32"), f32.get("leaky_relu float32")
    if s32:
        cells["float32"] = {"C1": claims.measure_c1(s32).verdict, "C7": claims.measure_c7(s32[2]).verdict,
                            "C9": claims.measure_c9(s32).verdict, "C18": claims.measure_c18(s32[50], s32[2]).verdict}
    if l32:
        cells.setdefault("float32", {})["C2"] = claims.measure_c2(l32).verdict
    cells["active neurons only"] = {
        "C5": claims.measure_c5(active(wide)).verdict,
        "C17": claims.measure_c17(nets, {n: useless_fractions_active(r) for n, r in nets.items() if n >= 1000}).verdict}
    if polished_losses:
        cells["polished to a minimum"] = {"C1": claims.measure_c1(_with_losses(silu, polished_losses)).verdict}
    wider = variants.get("wide", {}).get("silu N = 100-1000")
    if wider:
        both = {**{w: silu[w] for w in SCALING_WIDTHS}, **wider}
        k = len(next(iter(wider.values())).seeds)
        both = _with_losses(both, {w: r.train_mse[:k] for w, r in both.items()})
        cells["N = 10-1000"] = {"C1": claims.measure_c1(both, widths=sorted(both)).verdict}
    for name, sw in variants.get("leaky", {}).items():
        cells[f"LeakyReLU {name}"] = {"C2": claims.measure_c2(sw).verdict}
    return cells


def summary(scale: str = "full", store=None, networks: int | None = None, recompute: bool = False,
            train: bool | None = None) -> dict[str, dict[str, str]]:
    """{variant: {claim: verdict}}: the paper's protocol ("paper's protocol") and every variant
    of :func:`runs` that is stored (:func:`summary_cells`; a run whose claims cannot be measured
    on what is stored, e.g. C2 on fewer than 4 widths from 10, is left out).

    Kept as the derived result "robustness_summary_<scale>", recomputed only when a run it reads
    or the code of ``nslkit/analysis`` or ``nslkit/paper`` changes. The robustness chapter's last
    table and the ledger's "robust to" column.

    Args:
        scale: as for :func:`runs`.
        store: the results store.
        networks: SiLU networks polished per width (default 50 at "full", 2 at "smoke").
        recompute: compute it again even when it is kept.
        train: train what is missing (default: at "smoke" only).
    """
    from . import claims, optimum
    from .derived import derived_result
    from .study import DISENTANGLE_WIDE_SEEDS, disentangle_networks, main_sweep, wide_network

    runs(scale)  # checks the scale
    train = scale == "smoke" if train is None else train
    main_scale = {"full": "paper", "smoke": "smoke"}[scale]
    networks = int(networks or (50 if scale == "full" else 2))
    silu = main_sweep(main_scale, "silu", store=store, train=train)
    leaky = main_sweep(main_scale, "leaky_relu", store=store, train=train)
    wide = wide_network(main_scale, store=store, train=train)
    nets = {**disentangle_networks(main_scale, [10, 30, 50], store=store, train=train),
            1000: wide_network(main_scale, store=store, train=train, width=1000,
                               seeds=DISENTANGLE_WIDE_SEEDS if scale == "full" else 2)}
    stored = {stage: load(stage, scale, store, train) for stage in RUNS}
    # runs the summary cannot measure stay out: C18 distils width-50 networks, C2 fits 4 widths or more
    variants = {stage: {name: got for name, got in named.items()
                        if len(got) == len(runs(scale)[stage][name][1])
                        and (stage != "float32" or max(SCALING_WIDTHS) in got)
                        and (not (stage == "leaky" or name.startswith("leaky")) or sum(w >= 10 for w in got) >= 4)}
                for stage, named in stored.items()}
    polished = optimum.polished({w: silu[w] for w in SCALING_WIDTHS}, networks=networks, store=store,
                                name=None if scale == "full" else f"polished_silu_{scale}")
    inputs = [*silu.values(), *leaky.values(), wide, *nets.values(), f"polished {networks}",
              *(r for named in variants.values() for got in named.values() for r in got.values())]
    name = f"robustness_summary_{scale}"

    def compute():
        base = {"C1": claims.measure_c1(silu).verdict, "C2": claims.measure_c2(leaky).verdict,
                "C5": claims.measure_c5(wide).verdict, "C7": claims.measure_c7(silu[2]).verdict,
                "C9": claims.measure_c9(silu).verdict, "C17": claims.measure_c17(nets).verdict,
                "C18": claims.measure_c18(silu[50], silu[2]).verdict}
        return {"paper's protocol": base, **summary_cells(silu, leaky, wide, nets, variants,
                                                          {w: p["after"] for w, p in polished.items()})}

    return derived_result(name, inputs, compute, store=store, recompute=recompute)


def robust_to(verdicts, cells: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{claim: "robust to: …; changes under: … (verdict)"} for the claims that some variant touches.

    A cell that carries "<claim> paper" (the paper's protocol judged on the cell's own seeds) and
    "seeds" is compared with that, paired, and says so with its seed count; any other is compared
    with the ledger's verdict and marked unpaired. Chapter 10's "polished to a minimum" is left
    out: chapter 11's finder supersedes it.

    Args:
        verdicts: {claim: the ledger's verdict}.
        cells: {variant: {claim: verdict}}, from :func:`summary` and :func:`.minima.summary`.
    """
    out = {}
    # the ledger's own column; and chapter 10's LM polish, superseded by chapter 11's finder
    cells = {v: row for v, row in cells.items() if v not in ("paper's protocol", "polished to a minimum")}

    def against(row, claim, verdict):  # paired where the cell has the paper's verdict on its seeds
        return row.get(f"{claim} paper", verdict)

    def label(v, row):
        return f"{v} ({row['seeds']} seeds, paired)" if "seeds" in row else f"{v} (unpaired)"

    for claim, verdict in dict(verdicts).items():
        same = [label(v, row) for v, row in cells.items() if claim in row and row[claim] == against(row, claim, verdict)]
        other = [f"{label(v, row)[:-1]}: {row[claim]} against {against(row, claim, verdict)})"
                 for v, row in cells.items() if claim in row and row[claim] != against(row, claim, verdict)]
        if same or other:
            out[claim] = "; ".join(part for part in (f"robust to {', '.join(same)}" if same else "",
                                                     f"changes under {', '.join(other)}" if other else "") if part)
    return out
