"""nslkit: train thousands of tiny networks at once to reproduce Liu & Tegmark (2023),
"A Neural Scaling Law from Lottery Ticket Ensembling".

The listing is the data flow. At the base, the experiment and its networks: :mod:`.targets`,
:mod:`.activations`, :mod:`.config`, :mod:`.data`, :mod:`.population`, and the records every
layer reads, :mod:`.results` and :mod:`.provenance`. Then training: :mod:`.train`, which picks
one of the interchangeable step implementations in :mod:`.backends`, and the store
(:mod:`.store`, :mod:`.experiment`: load what is stored, train what is missing). Beside them,
:mod:`.analysis`: measurements on trained networks that never import the trainer or the store.
On top, :mod:`.paper`: this paper's protocol, runs and claims ledger, and :mod:`.plots` (imported
on its own since it loads matplotlib: ``from nslkit import plots``).
"""
from .activations import ACTIVATIONS
from .analysis import algorithms, disentangle, ensembles, fits, peaks, shapes, symmetry, width2
from .config import FORMAT_VERSION, OPTIMIZERS, TrainConfig, learning_rate, seed_list
from .data import test_data, training_data
from .experiment import run, sweep
from .paper import claims, protocol, scales, study
from .paper.protocol import PUBLISHED_TICKET, published_ticket, ticket_gradient_norm, ticket_mse
from .paper.scales import SCALES, scale_config, scale_label
from .population import Population, evaluate_mse, forward, init_population, loss_and_grads, neuron_outputs
from .provenance import VERSION as __version__
from .results import Results
from .store import Store, StoreError, default_results_dir
from .targets import TARGETS, get_target, target_names
from .train import resolve_device, train, train_widths

__all__ = [
    "__version__",
    "algorithms",
    "claims",
    "disentangle",
    "ensembles",
    "fits",
    "peaks",
    "protocol",
    "scales",
    "shapes",
    "study",
    "symmetry",
    "width2",
    "neuron_outputs",
    "ACTIVATIONS",
    "FORMAT_VERSION",
    "OPTIMIZERS",
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
