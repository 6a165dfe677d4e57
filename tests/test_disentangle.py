"""Tickets, disentangling and distillation (Appendices C, D) against planted networks in numpy."""
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import nslkit.analysis.disentangle as dis
from nslkit.analysis.disentangle import (
    GOOD_R2,
    USELESS_R2,
    disentangle,
    distil,
    lstsq_many,
    effective_rank,
    error_correlation,
    finetune,
    hessian_condition,
    lstsq,
    pair_neurons,
    pairing_cost,
    tickets,
)
from nslkit.analysis.width2 import network_mse
from nslkit.paper.protocol import PUBLISHED_TICKET

X = np.linspace(-2.0, 2.0, 100)
Y = X**2
TICKET = np.array(PUBLISHED_TICKET)


def all_matchings(items):
    """Every perfect matching of an even-length list, as lists of pairs."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k, other in enumerate(rest):
        for m in all_matchings(rest[:k] + rest[k + 1 :]):
            yield [(first, other)] + m


def brute_force_cost(w, b):
    return min(pairing_cost(w, b, np.array(m)) for m in all_matchings(list(range(len(w)))))


def assert_perfect_matching(pairs, n):
    assert pairs.shape == (n // 2, 2)
    assert np.array_equal(np.sort(pairs.ravel()), np.arange(n))
    assert np.all(pairs[:, 0] < pairs[:, 1]) and np.all(np.diff(pairs[:, 0]) > 0)


def is_involution(w, b):
    cost = (w[:, None] + w[None, :]) ** 2 + (b[:, None] - b[None, :]) ** 2
    np.fill_diagonal(cost, np.inf)
    perm = linear_sum_assignment(cost)[1]
    return np.array_equal(perm[perm], np.arange(len(w)))


def planted_network(seed=0):
    """Width 6, shuffled: the published ticket (Eq. 2), a small-w ticket, a useless w = 0 pair.

    Returns w, b, v (6,), c and the planted pairs as a set of index pairs (i < j).
    """
    w = np.array([TICKET[0], TICKET[1], 0.1, -0.1, 0.0, 0.0])
    b = np.array([TICKET[2], TICKET[3], 0.0, 0.0, 0.3, 0.3])
    v = np.array([TICKET[4], TICKET[5], 50.0, 50.0, 1.0, 1.0])
    order = np.random.default_rng(seed).permutation(6)  # new neuron k is old neuron order[k]
    where = np.argsort(order)  # old neuron i is new neuron where[i]
    planted = {tuple(sorted((int(where[2 * k]), int(where[2 * k + 1])))) for k in range(3)}
    return w[order], b[order], v[order], 0.0, planted, where


# --------------------------------------------------------------------------- pairing


def test_pair_neurons_recovers_planted_pairs():
    rng = np.random.default_rng(1)
    wk, bk = rng.normal(size=5), rng.normal(size=5)
    w = np.concatenate([wk, -wk + 1e-3 * rng.normal(size=5)])
    b = np.concatenate([bk, bk + 1e-3 * rng.normal(size=5)])
    order = rng.permutation(10)
    where = np.argsort(order)
    pairs = pair_neurons(w[order][:, None], b[order])  # (N, 1) input accepted
    assert_perfect_matching(pairs, 10)
    planted = {tuple(sorted((int(where[k]), int(where[k + 5])))) for k in range(5)}
    assert {tuple(p) for p in pairs.tolist()} == planted


def test_pair_neurons_repairs_odd_cycles_to_the_optimum():
    # Two far-apart triples (w = 0, b = 0, 1, 2.5 and 10, 11.5, 12.5): the cheapest cycle cover is
    # two 3-cycles, so the repair must run. Optimum: (0, 1), (11.5, 12.5), (2.5, 10) = 58.25.
    w = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    b = np.array([12.5, 0.0, 10.0, 2.5, 11.5, 1.0])
    assert not is_involution(w, b)
    pairs = pair_neurons(w, b)
    assert_perfect_matching(pairs, 6)
    assert pairing_cost(w, b, pairs) == pytest.approx(58.25, rel=1e-12)
    assert pairing_cost(w, b, pairs) == pytest.approx(brute_force_cost(w, b), rel=1e-12)
    random_pairs = np.random.default_rng(0).permutation(6).reshape(3, 2)
    assert pairing_cost(w, b, pairs) <= pairing_cost(w, b, random_pairs)


@pytest.mark.parametrize(
    "forced, later_sizes",
    [
        ([1, 2, 3, 4, 5, 6, 7, 0], []),  # one 8-cycle: split into an alternating matching
        ([1, 2, 0, 4, 5, 3, 7, 6], [2]),  # two 3-cycles and a 2-cycle: two left out, matched again
    ],
)
def test_pair_neurons_repairs_forced_cycle_covers(monkeypatch, forced, later_sizes):
    real, sizes = linear_sum_assignment, []

    def fake(cost):
        sizes.append(cost.shape[0])
        return (np.arange(8), np.array(forced)) if cost.shape[0] == 8 else real(cost)

    monkeypatch.setattr(dis, "linear_sum_assignment", fake)
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=8), rng.normal(size=8)
    cost = (w[:, None] + w[None, :]) ** 2 + (b[:, None] - b[None, :]) ** 2
    repaired = np.array(dis._matching(cost, np.arange(8)))  # the repair alone, before 2-opt
    assert sizes == [8] + later_sizes
    got = {tuple(sorted(p)) for p in repaired.tolist()}
    if not later_sizes:
        alternating = [{(0, 1), (2, 3), (4, 5), (6, 7)}, {(1, 2), (3, 4), (5, 6), (0, 7)}]
        assert got in alternating
        assert pairing_cost(w, b, repaired) == min(pairing_cost(w, b, np.array(sorted(m))) for m in alternating)
    else:
        assert (6, 7) in got
        assert sum(p in got for p in [(0, 1), (1, 2), (0, 2)]) == sum(p in got for p in [(3, 4), (4, 5), (3, 5)]) == 1
    pairs = pair_neurons(w, b)  # repair, then 2-opt
    assert_perfect_matching(pairs, 8)
    assert pairing_cost(w, b, pairs) <= pairing_cost(w, b, repaired)


def _two_opt_reference(cost, pairs):
    """2-opt as first written: the whole (K, K) gain matrix recomputed at every step."""
    for _ in range(pairs.shape[0] ** 2):
        a, b = pairs[:, 0], pairs[:, 1]
        now = cost[a, b][:, None] + cost[a, b][None, :]
        ac = cost[a[:, None], a[None, :]] + cost[b[:, None], b[None, :]]
        ad = cost[a[:, None], b[None, :]] + cost[b[:, None], a[None, :]]
        gain = now - np.minimum(ac, ad)
        np.fill_diagonal(gain, 0.0)
        k, m = np.unravel_index(np.argmax(gain), gain.shape)
        if gain[k, m] <= 1e-12 * now[k, m]:
            break
        mate = a[m] if ac[k, m] <= ad[k, m] else b[m]
        pairs[k], pairs[m] = (a[k], mate), (b[k], a[m] + b[m] - mate)
    return pairs


@pytest.mark.parametrize("n", [10, 40, 200])
def test_two_opt_updates_give_the_full_recomputation(n):
    # the O(K) update of the gain matrix takes the same steps, to the bit, as recomputing it
    rng = np.random.default_rng(n)
    for _ in range(5):
        w, b = rng.normal(size=n), rng.normal(size=n)
        cost = (w[:, None] + w[None, :]) ** 2 + (b[:, None] - b[None, :]) ** 2
        start = rng.permutation(n).reshape(-1, 2)  # a poor start, so that many swaps are taken
        assert np.array_equal(dis._two_opt(cost, start.copy()), _two_opt_reference(cost, start.copy()))


@pytest.mark.parametrize("n", [4, 6, 8])
def test_pair_neurons_exact_for_involutions_valid_otherwise(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        w, b = rng.normal(size=n), rng.normal(size=n)
        pairs = pair_neurons(w, b)
        assert_perfect_matching(pairs, n)
        best = brute_force_cost(w, b)
        if is_involution(w, b):
            assert pairing_cost(w, b, pairs) == pytest.approx(best, rel=1e-12)
        else:
            assert pairing_cost(w, b, pairs) >= best * (1 - 1e-12)


def test_pairing_bad_input_raises():
    with pytest.raises(ValueError, match="even number"):
        pair_neurons(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="even number"):
        pair_neurons(np.ones(1), np.ones(1))
    with pytest.raises(ValueError, match=r"\(N,\)"):
        pair_neurons(np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match=r"\(K, 2\)"):
        pairing_cost(np.ones(4), np.ones(4), np.array([0, 1]))
    with pytest.raises(ValueError, match="neuron indices"):
        pairing_cost(np.ones(4), np.ones(4), np.array([[0, 4]]))


# --------------------------------------------------------------------------- tickets


def test_tickets_on_planted_network():
    w, b, v, c, planted, where = planted_network()
    t = tickets(w, b, v, c, X, Y)
    assert {tuple(p) for p in t.pairs.tolist()} == planted
    r2 = dict(zip(map(tuple, t.pairs.tolist()), t.r2))
    useless = tuple(sorted((int(where[4]), int(where[5]))))
    published = tuple(sorted((int(where[0]), int(where[1]))))
    assert r2[useless] == pytest.approx(0.0, abs=1e-12)
    assert r2[published] > 0.999 and min(r2[p] for p in planted - {useless}) > 0.999
    assert t.coef.shape == (3, 3) and t.errors.shape == (3, 100) and t.trained_r2.shape == (3,)
    assert np.all(t.trained_r2 <= t.r2 + 1e-12)  # the refit is the best over the same span
    k = t.pairs.tolist().index(list(published))
    assert t.coef[k] == pytest.approx(TICKET[[6, 4, 5]] if where[0] < where[1] else TICKET[[6, 5, 4]], rel=1e-3)


def test_distilled_mse_equals_unexplained_variance():
    w, b, v, c, _, where = planted_network()
    d = distil(w[None, :, None], b[None], v[None], np.array([c]), X, Y)
    assert d.params7.shape == (1, 7) and d.pairs.shape == (1, 2)
    assert set(d.pairs[0].tolist()) == {int(where[2]), int(where[3])}  # the small-w ticket is best
    assert d.train_mse[0] == pytest.approx((1 - d.r2[0]) * Y.var(), rel=1e-8)
    assert d.train_mse[0] == pytest.approx(network_mse(d.params7[0], X, Y)[0], rel=1e-12)
    assert d.feature_cond[0] >= 1
    i, j = d.pairs[0]
    assert np.array_equal(d.params7[0, :4], [w[i], w[j], b[i], b[j]])


def test_tickets_other_activations_and_bad_input():
    w, b, v, c, _, _ = planted_network()
    for act in ("relu", "leaky_relu"):
        t = tickets(w, b, v, c, X, Y, activation=act, negative_slope=0.1)
        assert np.all((t.r2 > -1e-12) & (t.r2 <= 1 + 1e-12))
    with pytest.raises(ValueError, match="unknown activation"):
        tickets(w, b, v, c, X, Y, activation="tanh")
    with pytest.raises(ValueError, match=r"\(N,\)"):
        tickets(w, b, v[:4], c, X, Y)
    with pytest.raises(ValueError, match=r"\(P,\)"):
        tickets(w, b, v, c, X, Y[:50])
    with pytest.raises(ValueError, match="constant"):
        tickets(w, b, v, c, X, np.ones_like(X))


def test_lstsq_keeps_tiny_singular_values():
    # y = x² = 1e15 · (1e-15 x²): exact, but the third singular value is below numpy's cutoff.
    A = np.column_stack([np.ones_like(X), X, 1e-15 * X**2])
    assert np.linalg.cond(A) > 1e14
    coef = lstsq(A, Y)
    assert coef == pytest.approx([0.0, 0.0, 1e15], rel=1e-8, abs=1e-8)
    ours = np.linalg.norm(A @ coef - Y)
    numpy_ = np.linalg.norm(A @ np.linalg.lstsq(A, Y, rcond=None)[0] - Y)
    assert ours < 1e-12 and numpy_ > 1.0
    # Exactly dependent columns: the minimum-norm fallback, best constant fit.
    B = np.column_stack([np.ones_like(X), 0.3 * np.ones_like(X)])
    assert np.linalg.norm(B @ lstsq(B, Y) - Y) == pytest.approx(np.linalg.norm(Y - Y.mean()), rel=1e-12)
    with pytest.raises(ValueError, match=r"\(P, M\)"):
        lstsq(A.T, Y)


def test_error_correlation_and_effective_rank():
    e = np.random.default_rng(0).normal(size=100)
    assert np.allclose(error_correlation(np.stack([e, e, 2 * e])), 1.0, atol=1e-12)
    C = error_correlation(np.stack([e, np.zeros(100)]))
    assert np.array_equal(C, np.eye(2))
    for k in (1, 3, 7):
        assert effective_rank(np.eye(k)) == pytest.approx(k)
    u = np.arange(1.0, 5.0)
    assert effective_rank(np.outer(u, u)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="symmetric"):
        effective_rank(np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        effective_rank(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive eigenvalue"):
        effective_rank(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\(K, P\)"):
        error_correlation(np.ones(3))


def test_disentangle_on_planted_networks():
    w, b, v, c, _, _ = planted_network(0)
    w2, b2, v2, _, _, _ = planted_network(1)
    d = disentangle(np.stack([w, w2])[:, :, None], np.stack([b, b2]), np.stack([v, v2]), np.zeros(2), X, Y)
    assert d.width == 6 and d.r2.shape == (2, 3)
    assert np.all(np.diff(d.r2, axis=1) <= 0)
    assert d.r2 == pytest.approx(d.r2[[1, 0]])  # shuffling neurons changes nothing
    assert d.good_fraction == pytest.approx([2 / 3, 2 / 3]) and d.useless_fraction == pytest.approx([1 / 3, 1 / 3])
    assert GOOD_R2 > USELESS_R2
    assert np.all((d.effective_rank >= 1) & (d.effective_rank <= 3))
    assert np.all((d.effective_rank_good >= 1) & (d.effective_rank_good <= 2))
    assert np.all(d.pair_cost < 1e-10)  # the published ticket is mirror-symmetric to ~1e-6
    useless = disentangle(np.zeros((1, 2)), np.zeros((1, 2)), np.ones((1, 2)), np.zeros(1), X, Y)
    assert np.isnan(useless.effective_rank_good[0]) and useless.pair_cost[0] == 0.0
    with pytest.raises(ValueError, match=r"\(S, N\)"):
        disentangle(np.stack([w, w2]), np.stack([b, b2]), np.stack([v, v2]), np.zeros(3), X, Y)


# --------------------------------------------------------------------------- fine-tuning


def test_network_mse_and_hessian_condition():
    assert network_mse(TICKET, X, Y)[0] == pytest.approx(7.79e-6, rel=1e-2)
    cond = hessian_condition(np.stack([TICKET, TICKET]), X, Y)
    assert cond.shape == (2,) and np.all(np.isfinite(cond) & (cond >= 1))
    # A sharper, smaller-w ticket (w = ±0.01, v ~ 1/(σ''(b) w²)) is far worse conditioned.
    d = distil(np.array([[-0.01, 0.01]]), np.array([[-1.17, -1.17]]), np.ones((1, 2)), np.zeros(1), X, Y)
    assert d.train_mse[0] < 1e-9
    assert hessian_condition(d.params7, X, Y)[0] > 1e6 * cond[0]
    assert network_mse(np.zeros(7), X, np.ones_like(X))[0] == 1.0  # a constant target is fine here
    with pytest.raises(ValueError, match=r"\(S, 7\)"):
        network_mse(np.ones(6), X, Y)
    with pytest.raises(ValueError, match="unknown activation"):
        hessian_condition(TICKET, X, Y, activation="gelu")


def test_finetune():
    tiny = finetune(TICKET, X, Y, steps=10, lr=1e-12)
    assert np.all(np.abs(tiny.params7[0] - TICKET) <= 10 * 1e-12 * 1.01)
    assert tiny.before == pytest.approx(network_mse(TICKET, X, Y))
    assert tiny.steps == 10 and tiny.lr == 1e-12
    rng = np.random.default_rng(0)
    p = rng.normal(size=(3, 7))
    p_copy = p.copy()
    ft = finetune(p, X, Y, steps=500, lr=1e-3)
    assert np.all(ft.after <= ft.before)
    assert ft.after == pytest.approx(network_mse(ft.params7, X, Y), rel=1e-12)
    alone = finetune(p[1], X, Y, steps=500, lr=1e-3)  # the sum objective: batching changes nothing
    assert np.allclose(alone.params7[0], ft.params7[1], rtol=1e-10, atol=1e-12)
    assert np.array_equal(p, p_copy)  # input not mutated
    for bad in ({"steps": 0}, {"steps": 1.5}, {"lr": 0.0}, {"lr": -1e-3}):
        with pytest.raises(ValueError):
            finetune(p, X, Y, **bad)


EPS = np.finfo(np.float64).eps


def test_lstsq_many_matches_one_at_a_time():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(5, 40, 3))
    A[1, :, 2] = 1e-15 * A[1, :, 1] ** 2  # tiny column: kept, numpy drops it
    A[2, :, 2] = 2 * A[2, :, 1]  # exactly dependent: numpy's minimum-norm solution
    y = rng.normal(size=40)
    many = lstsq_many(A, y)
    for k in range(5):
        np.testing.assert_allclose(many[k], lstsq_many(A[k:k + 1], y)[0], rtol=1e-12)
    numpy_ = [np.linalg.lstsq(A[k], y, rcond=None)[0] for k in range(5)]
    # well-conditioned systems (κ < 10) and the dependent one: numpy's answer to rounding
    np.testing.assert_allclose(many[[0, 2, 3, 4]], [numpy_[k] for k in (0, 2, 3, 4)], rtol=1e-12, atol=1e-14)
    # the tiny column: the exact fit numpy's cutoff misses, with its coefficient ~1e15
    assert np.linalg.norm(A[1] @ many[1] - y) < np.linalg.norm(A[1] @ numpy_[1] - y)
    with pytest.raises(ValueError, match=r"\(K, P, M\)"):
        lstsq_many(A[0], y)


@pytest.mark.parametrize("delta", [1e-8, 1e-10, 1e-12, 1e-14, 1e-16])
def test_lstsq_many_near_dependent_columns_agree_with_numpy(delta):
    # Two near-identical neurons h and h + δg beside the constant, as Appendix C's pairs give.
    # numpy keeps the third column down to δ ≈ 1e-13 (σ_min/σ_max ≈ 0.44 δ against its cutoff
    # 100 eps = 2.2e-14) and drops it below: the same rank here, decided on the singular values.
    h = X / (1 + np.exp(-(0.7 * X + 0.1)))
    g = np.cos(3 * X)
    A = np.stack([np.column_stack([np.ones_like(X), h, h + delta * g]),
                  np.column_stack([np.ones_like(X), h, h + delta * X**2])])  # (2, 100, 3)
    rng = np.random.default_rng(3)
    for y in (Y, rng.normal(size=X.size)):
        many = lstsq_many(A, y)  # (2, 3)
        for k in range(2):
            ref, _, rank, sv = np.linalg.lstsq(A[k], y, rcond=None)
            assert rank == (3 if delta >= 1e-12 else 2)
            if rank == 3:
                # both solve a problem of condition κ; backward-stable solvers agree to ~κ·eps, normwise
                kappa = sv[0] / sv[-1]
                assert np.linalg.norm(many[k] - ref) <= 100 * kappa * EPS * np.linalg.norm(ref)
                # residuals computed from coefficients of size |c| differ by rounding ~ eps·|A||c|
                slack = 10 * A.shape[1] * EPS * np.abs(A[k]).max() * (np.abs(many[k]).sum() + np.abs(ref).sum())
                assert abs(np.linalg.norm(A[k] @ many[k] - y) - np.linalg.norm(A[k] @ ref - y)) <= slack
            else:  # the minimum-norm solution is well conditioned: numpy's to rounding
                np.testing.assert_allclose(many[k], ref, rtol=1e-12)
