"""Config validation, protocol defaults and the target registry."""
import dataclasses
import re

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


# ---- repr, help and field docs (issue 33) ----------------------------------------------------

#: Keys computed before the short repr and the range default of ``seeds`` (issue 33): neither may
#: change a key, since the results store is named by them.
KEYS = {
    "default": ({}, "3ab69dcff8224a58b51bc1fea003d15c17b4a87762659a91a3bf45a219d3e970",
                "599741b79d1e7e16208f78564d229a0c24419467da359c2e15869b2b37490b69"),
    "smoke_relu": ({"activation": "leaky_relu", "width": 3, "seeds": 8, "steps": 500},
                   "d089b8bbad474287245f70a8a5fa13b66d5685769395f5609b2388c197d9fb0f",
                   "c21472090c77d8ab55439c6387b81e0d1cce889a6e9aab1aa843ff88aae33283"),
    "prod3": ({"target": "prod3", "width": 20, "seeds": [5, 7, 11], "steps": 1000},
              "8969553d6832cc926610c06666ff250d729da207e5d45b0b75d25d4fd23451fe",
              "f8055bcf695e27a91505f1c3a9bbc6cb20d8c19d3f5d89a41c601978c4bbe5e3"),
    "sgd_log": ({"width": 4, "seeds": 100, "optimizer": "sgd", "momentum": 0.5, "curve_grid": "log",
                 "dtype": "float32"},
                "23b089cdbf3c8612b11cca5f61f729bf10cb672c7d28f2e5b8075e1c04ebd281",
                "14585943ba46a90f495edad9775260c5a27dae9d02e814e224bfb858efcdd202"),
    "lbfgs": ({"target": "sin", "width": 50, "seeds": range(100, 200), "optimizer": "lbfgs", "domain": (-1, 1),
               "points": 64, "test_points": 500},
              "defe66eda4966353b4bfa94d0e2d5dda3b4ad435bc3b6d6fb0918f212a2528c6",
              "c4b8b4cb9a1674f9abf840e203208304bbed4a7da951edad0a968f880fa31886"),
}


@pytest.mark.parametrize("name", KEYS)
def test_keys_are_unchanged(name):
    fields, key, experiment_key = KEYS[name]
    cfg = TrainConfig(**fields)
    assert (cfg.key(), cfg.experiment_key()) == (key, experiment_key)
    assert type(cfg.seeds) is tuple and type(cfg.to_dict()["seeds"]) is list  # the range default is stored as before


def test_committed_results_keep_their_keys():
    """A few committed result files: the config each holds still gives the key in its name."""
    import json
    from pathlib import Path

    import numpy as np

    files = sorted((Path(__file__).resolve().parent.parent / "results").glob("*_s0-99.npz"))
    if not files:
        pytest.skip("no committed results")
    for path in files[:: max(1, len(files) // 5)]:
        with np.load(path) as z:
            cfg = TrainConfig.from_dict(json.loads(str(z["config_json"])))
        assert path.name.split("_")[-2] == cfg.experiment_key()[:16], path.name


def test_repr_is_short_and_shows_every_field():
    cfg = TrainConfig()
    text = repr(cfg)
    assert len(text) < 450 and "seeds=range(0, 1000)" in text
    assert all(f"{f.name}=" in text for f in dataclasses.fields(TrainConfig))
    assert eval(text, {"TrainConfig": TrainConfig}) == cfg  # consecutive seeds: the repr is the config
    assert "seeds=(3, 5, 9)," in repr(cfg.replace(seeds=[3, 5, 9]))
    many = repr(cfg.replace(seeds=range(0, 2000, 2)))
    assert len(many) < 450 and "1000 seeds" in many


def test_help_is_short():
    import pydoc

    text = pydoc.render_doc(TrainConfig, renderer=pydoc.plaintext)
    assert len(text) < 7000  # it was 14 KB: the 1000-element seed tuple, three times
    assert "range(0, 1000)" in text and "999" not in text


def test_every_field_is_documented():
    """Each field has its own ``#:`` comment, which Sphinx's autodoc shows on the API page."""
    ModuleAnalyzer = pytest.importorskip("sphinx.pycode").ModuleAnalyzer  # the book's extra
    docs = ModuleAnalyzer.for_module("nslkit.config").find_attr_docs()
    for f in dataclasses.fields(TrainConfig):
        doc = " ".join(docs.get(("TrainConfig", f.name), [])).strip()
        assert len(doc) > 10, f"TrainConfig.{f.name} has no doc comment"
        # napoleon reads "A: B" in an attribute's doc as type A, description B
        assert ":" not in re.sub(r":\w+:`[^`]*`", "", doc), f"TrainConfig.{f.name}: a colon in {doc!r}"
