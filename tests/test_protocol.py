"""Known answer: the paper's published lottery ticket (C7), and the protocol evidence it gives."""
import numpy as np
import pytest
import torch

import nslkit as nk
from nslkit import PUBLISHED_TICKET, TrainConfig, evaluate_mse, published_ticket
from nslkit.paper.protocol import ticket_gradient_norm, ticket_mse


def _numpy_ticket_mse(lo, hi, n):
    """Independent NumPy evaluation of Eq. 1 at the ticket, on n cell midpoints of [lo, hi]."""
    w1, w2, b1, b2, v1, v2, c = PUBLISHED_TICKET
    x = lo + (hi - lo) * (np.arange(n) + 0.5) / n
    silu = lambda z: z / (1.0 + np.exp(-z))  # noqa: E731
    f = v1 * silu(w1 * x + b1) + v2 * silu(w2 * x + b2) + c
    return np.mean((f - x**2) ** 2)


@pytest.mark.parametrize("domain", [(-2.0, 2.0), (-1.0, 1.0)])
def test_published_ticket_mse_matches_numpy(domain):
    cfg = TrainConfig(width=2, domain=domain)
    x, y = nk.test_data(cfg)
    ours = evaluate_mse(published_ticket(), x, y, "silu").item()
    ref = _numpy_ticket_mse(*domain, 10_000)
    assert ours == pytest.approx(ref, rel=1e-10)
    # the ticket is a good x² fit on both domains (the paper's lowest peak is ~1e-5 and below)
    assert 1e-7 < ours < 1e-4


def test_published_ticket_is_symmetric():
    t = published_ticket()
    assert abs(t.w[0, 0, 0] + t.w[0, 1, 0]) < 1e-5 and abs(t.b[0, 0] - t.b[0, 1]) < 1e-6
    assert abs(t.v[0, 0] - t.v[0, 1]) < 1e-4


def test_default_protocol_is_where_the_ticket_is_stationary():
    """The evidence behind the defaults: among candidate training sets, the published ticket's
    gradient vanishes (to its printed precision) on 100 grid points of [-2, 2]."""
    default = TrainConfig(width=2)
    g0 = ticket_gradient_norm(default.domain, default.points, default.placement)
    assert g0 < 1e-5
    candidates = [((-2, 2), p, "grid") for p in (50, 99, 101, 200, 1000)]
    candidates += [((-1, 1), p, "grid") for p in (100, 1000)]
    candidates += [((-2, 2), 100, "uniform"), ((-1, 1), 100, "uniform")]
    for domain, points, placement in candidates:
        assert ticket_gradient_norm(domain, points, placement) > 3 * g0, (domain, points, placement)
    assert ticket_mse() == pytest.approx(7.79e-6, rel=1e-2)


def test_ticket_population_round_trips_eq2_order():
    pop = nk.protocol.ticket_population(np.array([nk.PUBLISHED_TICKET] * 3))
    assert pop.w.shape == (3, 2, 1) and pop.b.shape == (3, 2) and pop.c.shape == (3,)
    assert float(pop.w[1, 0, 0]) == nk.PUBLISHED_TICKET[0] and float(pop.v[2, 1]) == nk.PUBLISHED_TICKET[5]
    x = torch.linspace(-2, 2, 7, dtype=torch.float64)[:, None]
    parts = nk.neuron_outputs(pop, x, "silu")  # (S, N, P): the two neurons' v_i σ(w_i x + b_i)
    torch.testing.assert_close(parts.sum(1) + pop.c[:, None], nk.forward(pop, x, "silu"))
