"""Config validation, protocol defaults and the target registry."""
import pytest
import torch

import nslkit as nk
from nslkit import TARGETS, TrainConfig, get_target, seed_list, training_data


def test_defaults_are_the_papers_and_the_protocols():
    c = TrainConfig()
    assert (c.steps, c.lr, c.lr_decay, c.lr_step, len(c.seeds)) == (50_000, 1e-2, 0.2, 10_000, 1000)
    assert (c.domain, c.points, c.placement, c.dtype) == ((-2.0, 2.0), 100, "grid", "float64")
    p = TrainConfig(target="prod3")
    assert (p.points, p.placement, p.dim) == (1000, "uniform", 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"target": "x5"}, "unknown target 'x5'.*x2"),
        ({"activation": "gelu"}, "unknown activation 'gelu'.*silu"),
        ({"width": 0}, "width must be a positive integer"),
        ({"width": 2.5}, "width must be a positive integer"),
        ({"seeds": 0}, "seed count"),
        ({"seeds": []}, "empty"),
        ({"seeds": [1, 1]}, "duplicates"),
        ({"seeds": [-1]}, "non-negative"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"lr": 0.0}, "lr must be positive"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"domain": (1.0, -1.0)}, "LO < HI"),
        ({"domain": (0.0, 0.0)}, "LO < HI"),
        ({"dtype": "float16"}, "unknown dtype 'float16'.*float64"),
        ({"placement": "sobol"}, "unknown placement 'sobol'"),
        ({"target": "prod3", "placement": "grid", "points": 100}, "perfect power such as 125"),
    ],
)
def test_bad_config_raises_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_seed_list():
    assert seed_list(3) == (0, 1, 2)
    assert seed_list([5, 2]) == (5, 2)
    with pytest.raises(ValueError):
        seed_list(True)


def test_int_and_float_give_one_key():
    assert TrainConfig(lr=1).key() == TrainConfig(lr=1.0).key()


def test_roundtrip_dict():
    c = TrainConfig(target="prod2", seeds=[4, 9], domain=(-1, 1))
    assert TrainConfig.from_dict(c.to_dict()) == c
    d = c.to_dict()
    d["format_version"] = -1
    with pytest.raises(ValueError, match="format version"):
        TrainConfig.from_dict(d)


def test_targets_values():
    x = torch.tensor([[-1.5], [0.5], [2.0]], dtype=torch.float64)
    expect = {
        "x2": x[:, 0] ** 2, "x3": x[:, 0] ** 3, "x4": x[:, 0] ** 4, "sin": torch.sin(x[:, 0]),
        "cos": torch.cos(x[:, 0]), "exp": torch.exp(x[:, 0]), "sin2": torch.sin(x[:, 0]) ** 2,
        "expx2": torch.exp(x[:, 0] ** 2), "relu": torch.tensor([0.0, 0.5, 2.0], dtype=torch.float64),
        "tanh": torch.tanh(x[:, 0]),
    }
    for name, y in expect.items():
        assert torch.allclose(get_target(name)(x), y), name
    x3 = torch.tensor([[1.0, 2.0, -3.0]], dtype=torch.float64)
    assert get_target("prod3")(x3).item() == -6.0
    assert [TARGETS[f"prod{d}"].dim for d in range(2, 6)] == [2, 3, 4, 5]
    with pytest.raises(ValueError, match="shape"):
        get_target("prod3")(x)


def test_training_and_test_data():
    c = TrainConfig()
    x, y = training_data(c)
    assert x.shape == (100, 1) and x[0, 0] == -2 and x[-1, 0] == 2
    assert torch.equal(x[:, 0], torch.linspace(-2, 2, 100, dtype=torch.float64))
    assert torch.equal(y, x[:, 0] ** 2)
    xt, _ = nk.test_data(c)
    assert xt.shape == (10_000, 1) and xt.min() > -2 and xt.max() < 2
    assert not set(xt[:, 0].tolist()) & set(x[:, 0].tolist())
    u = TrainConfig(target="prod5", points=300)
    xu, yu = training_data(u)
    assert xu.shape == (300, 5) and xu.min() >= -2 and xu.max() <= 2
    assert torch.equal(xu, training_data(u)[0])  # same data_seed, same points
    assert not torch.equal(xu, training_data(u.replace(data_seed=1))[0])
    assert nk.test_data(u)[0].shape == (6**5, 5)
    g = TrainConfig(target="prod2", placement="grid", points=49)
    assert training_data(g)[0].shape == (49, 2)
