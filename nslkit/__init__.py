"""nslkit: train thousands of tiny networks at once to reproduce Liu & Tegmark (2023),
"A Neural Scaling Law from Lottery Ticket Ensembling".

Data flow: target (:mod:`.targets`, :mod:`.data`) → population (:mod:`.population`) →
train (:mod:`.train`, :mod:`.fused`) → store (:mod:`.store`, :mod:`.experiment`,
:mod:`.study`) → analysis (:mod:`.fits`, :mod:`.peaks`, :mod:`.symmetry`, :mod:`.ensembles`,
:mod:`.algorithms`, :mod:`.disentangle`)
→ claims ledger (:mod:`.claims`) → plots (:mod:`.plots`, imported on its own since it loads
matplotlib: ``from nslkit import plots``).
:mod:`.protocol` holds the evidence for the protocol defaults, :mod:`.reference` the naive
loop that the tests and the benchmark compare against, :mod:`.scales` the named scales.
"""
from . import algorithms, claims, disentangle, ensembles, fits, peaks, study, symmetry
from .config import FORMAT_VERSION, TrainConfig, seed_list
from .data import test_data, training_data
from .experiment import run, sweep
from .population import ACTIVATIONS, Population, forward, init_population, loss_and_grads, neuron_outputs
from .protocol import PUBLISHED_TICKET, published_ticket, ticket_gradient_norm, ticket_mse
from .scales import SCALES, scale_config, scale_label
from .store import Store, StoreError, default_results_dir
from .targets import TARGETS, get_target, target_names
from .train import Results, evaluate_mse, learning_rate, resolve_device, train, train_widths

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "algorithms",
    "claims",
    "disentangle",
    "ensembles",
    "fits",
    "peaks",
    "study",
    "symmetry",
    "neuron_outputs",
    "ACTIVATIONS",
    "FORMAT_VERSION",
    "PUBLISHED_TICKET",
    "SCALES",
    "Population",
    "Results",
    "Store",
    "StoreError",
    "TARGETS",
    "TrainConfig",
    "default_results_dir",
    "evaluate_mse",
    "forward",
    "get_target",
    "init_population",
    "learning_rate",
    "loss_and_grads",
    "published_ticket",
    "resolve_device",
    "run",
    "scale_config",
    "scale_label",
    "seed_list",
    "sweep",
    "target_names",
    "test_data",
    "ticket_gradient_norm",
    "ticket_mse",
    "train",
    "train_widths",
    "training_data",
]
