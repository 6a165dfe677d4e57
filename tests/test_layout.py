"""The package's layout: imports run one way, no module reaches into another's private names, no
module is two ideas (> 500 lines), and the analysis and the claims stay in their layers.

Every import is read with ``ast``, those inside functions included.
"""
import ast
from pathlib import Path

import pytest

import nslkit as nk

PKG = Path(nk.__file__).resolve().parent
MODULES = {".".join(("nslkit", *p.relative_to(PKG).with_suffix("").parts)).removesuffix(".__init__"): p
           for p in sorted(PKG.rglob("*.py"))}
MAX_LINES = 500


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module name of a ``from ... import`` in ``module``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, str | None]]:
    """(imported nslkit module, imported name or None) for every import in ``module``."""
    out = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names if a.name.startswith("nslkit")]
        elif isinstance(node, ast.ImportFrom):
            src = _resolve(module, node)
            if not src.startswith("nslkit"):
                continue
            for a in node.names:
                sub = f"{src}.{a.name}"
                out.append((sub, None) if sub in MODULES else (src, a.name))
    return out


def graph() -> dict[str, set[str]]:
    return {m: {dep for dep, _ in imports(m) if dep != m} for m in MODULES}


def test_every_import_resolves_to_a_module():
    for m in MODULES:
        for dep, _ in imports(m):
            assert dep in MODULES, f"{m} imports {dep}, which is not a module of nslkit"


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph g, as a path that returns to its start; None if acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for dep in sorted(g.get(m, ())):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (found := visit(dep, path + [dep])):
                return found
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (found := visit(m, [m])):
            return found
    return None


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, f"import cycle: {' -> '.join(cycle)}"


def test_the_cycle_finder_finds_a_planted_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(g) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_module_imports_another_modules_private_names():
    bad = []
    for m in MODULES:
        tree = ast.parse(MODULES[m].read_text())
        modules_named = {}  # local name -> nslkit module, for attribute access
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _resolve(m, node).startswith("nslkit"):
                src = _resolve(m, node)
                for a in node.names:
                    if f"{src}.{a.name}" in MODULES:
                        modules_named[a.asname or a.name] = f"{src}.{a.name}"
                    elif a.name.startswith("_"):
                        bad.append(f"{m} imports {a.name} from {src}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules_named and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{m} uses {modules_named[node.value.id]}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_no_module_over_500_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


#: What analysis/ may import: itself and the two base modules with no training in them.
ANALYSIS_MAY_IMPORT = {"nslkit.activations", "nslkit.checks"}


def test_analysis_imports_nothing_from_training_backends_or_store():
    for m in MODULES:
        if m.startswith("nslkit.analysis"):
            for dep, _ in imports(m):
                assert dep.startswith("nslkit.analysis") or dep in ANALYSIS_MAY_IMPORT, f"{m} imports {dep}"


#: The claims' criteria and measurements do no I/O: they never reach the store.
NO_IO = ("nslkit.paper.findings", "nslkit.paper.sections", "nslkit.paper.appendices", "nslkit.paper.tickets",
         "nslkit.paper.scales", "nslkit.paper.protocol")
IO = {"nslkit.store", "nslkit.experiment", "nslkit.paper.study", "nslkit.paper.ledger", "nslkit.train"}


def test_claims_measure_without_io():
    for m in NO_IO:
        deps = {d for d, _ in imports(m)}
        assert not deps & IO, f"{m} imports {deps & IO}"


#: The entry points, above every layer: the package's namespace and the command line (whose
#: ``reproduce`` and ``status`` commands read the paper's plan of runs).
TOP = ("nslkit", "nslkit.cli", "nslkit.__main__")


def test_lower_layers_never_import_the_paper_or_the_plots():
    for m in MODULES:
        if not m.startswith(("nslkit.paper", "nslkit.plots")) and m not in TOP:
            for dep, _ in imports(m):
                assert not dep.startswith(("nslkit.paper", "nslkit.plots")), f"{m} imports {dep}"


def test_nothing_but_the_entry_points_imports_the_command_line():
    for m in MODULES:
        if m not in TOP:
            assert not any(dep in ("nslkit.cli", "nslkit.__main__") for dep, _ in imports(m)), m


def test_every_subpackage_says_what_lives_there_and_what_it_may_import():
    for sub in ("backends", "analysis", "paper"):
        doc = ast.get_docstring(ast.parse((PKG / sub / "__init__.py").read_text()))
        assert doc and "import" in doc, sub


#: Everything ``import nslkit as nk`` gave before the restructuring (its __all__ and the modules
#: the notebooks reach through it), and must keep giving.
PUBLIC = """__version__ algorithms claims disentangle ensembles fits peaks study symmetry protocol population
neuron_outputs ACTIVATIONS FORMAT_VERSION PUBLISHED_TICKET SCALES Population Results Store StoreError TARGETS
TrainConfig default_results_dir evaluate_mse forward get_target init_population learning_rate loss_and_grads
published_ticket resolve_device run scale_config scale_label seed_list sweep target_names test_data
ticket_gradient_norm ticket_mse train train_widths training_data""".split()


def test_public_api_is_kept():
    missing = [n for n in PUBLIC if not hasattr(nk, n)]
    assert not missing
    assert set(PUBLIC) - {"population"} <= set(nk.__all__)
    # the names the notebooks reach through the modules
    for path in ("study.main_sweep", "study.target_sweep", "study.first_stored", "study.PAPER_WIDTHS",
                 "study.SWEEP_WIDTHS", "study.UNARY_TARGETS", "study.PRODUCT_TARGETS", "study.DISENTANGLE_WIDE_SEEDS",
                 "study.wide_network", "study.disentangle_networks", "population.activate", "algorithms.SWAP",
                 "algorithms.PARAM_NAMES", "algorithms.order_neurons", "protocol.ticket_population",
                 "claims.ledger", "claims.table", "claims.algorithm_table", "claims.ALGORITHM_MAX_LOSS",
                 "claims.ticket_errors", "claims.training_xy", "claims.error_profile", "claims.CLAIMS",
                 *(f"claims.measure_c{i}" for i in range(1, 19))):
        obj = nk
        for part in path.split("."):
            obj = getattr(obj, part)
