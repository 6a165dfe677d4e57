import os

# Under pytest-xdist (make test runs -n auto) each worker gets its share of the cores, set before
# torch is imported, and so do the notebook kernels and CLI processes a worker starts: with torch's
# default one thread per core, every parallel region would wait for a thread whose core another
# worker holds. An OMP_NUM_THREADS given on the command line wins (the BLAS and thread matrix).
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS",
                          str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))

import pytest  # noqa: E402
import torch  # noqa: E402

if "PYTEST_XDIST_WORKER_COUNT" in os.environ:  # in case a plugin imported torch first
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

# Without a GPU, Triton kernels run in its CPU interpreter, so that the tests can check the fast
# path (nslkit.backends.triton_step) against the eager trainer. It must be set before nslkit.backends.triton_step is imported.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

from nslkit import TrainConfig


@pytest.fixture
def small_cfg() -> TrainConfig:
    """A config small enough for unit tests: 3 networks of width 4, 200 steps."""
    return TrainConfig(width=4, seeds=3, steps=200, lr_step=70, test_points=200)


from _support import HAS_TRITON, cuda, needs_triton, rel_err  # noqa: E402,F401  (tests import them from _support)
