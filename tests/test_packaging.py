"""The distribution: its name in pyproject.toml is the one lucid.__version__ reads and
every install hint names; the import name stays lucid."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

import lucid
from lucid import _demo_report, demo

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NAME = PROJECT["name"]


def _normalized(name: str) -> str:
    """PEP 503's normal form: lucid_rs, Lucid.RS and lucid-rs are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_distribution_is_not_another_projects_name():
    # "lucid" on PyPI is an unrelated library; "lucid-dl" is lucid 2.x itself.
    assert _normalized(NAME) not in {"lucid", "lucid-dl"}
    assert _normalized(NAME) == NAME


def test_the_import_name_stays_lucid():
    maturin = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["maturin"]
    assert maturin["module-name"] == "lucid._C"
    assert lucid.__name__ == "lucid" and lucid._C.__name__ == "lucid._C"


def test_install_hints_name_the_distribution_and_an_extra_it_has():
    hint = f'pip install "{NAME}[demo]"'
    assert _demo_report.INSTALL == hint
    assert demo.__doc__ is not None and f"``{hint}``" in demo.__doc__
    assert "demo" in PROJECT["optional-dependencies"]


def test_version_is_read_from_this_distributions_metadata():
    try:
        installed = importlib.metadata.distribution(NAME)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"lucid is not installed as the {NAME!r} distribution (reinstall it)")
    assert _normalized(installed.metadata["Name"]) == NAME
    assert lucid.__version__ == installed.version == PROJECT["version"]
