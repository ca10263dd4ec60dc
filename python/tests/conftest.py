"""Shared fixtures for the Python tests: the built CLI, generated data, and the one helper that
runs the same input through the CLI and through Python and compares (STYLE.md habit 3).

Run by CTest (python/CMakeLists.txt sets FRUGAL_CLI, FRUGAL_GENERATE, FRUGAL_GENERATE_UPDATE
and PYTHONPATH); by hand: PYTHONPATH=build/<dir>/python FRUGAL_CLI=build/<dir>/frugal ...
/usr/bin/python3 -m pytest python/tests
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest


def _tool(variable: str) -> str:
    path = os.environ.get(variable)
    if not path or not Path(path).exists():
        pytest.fail(f"{variable} is not set to a built program (run the tests through CTest)")
    return path


@pytest.fixture(scope="session")
def cli_path() -> str:
    return _tool("FRUGAL_CLI")


def run_cli(cli: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([cli, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == expect, (
        f"frugal {' '.join(args)} exited {result.returncode}, expected {expect}\n"
        f"stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}"
    )
    return result


def agree(cli: str, cli_args: list[str], python: Callable[[], Any]) -> Any:
    """Runs `frugal <cli_args> --json` and `python()`; asserts the two results are equal.

    Equal means the same JSON value (key order included, numbers compared as the doubles the
    two produced), so a field renamed, dropped or computed differently on either side fails.
    """
    from_cli = json.loads(run_cli(cli, *cli_args, "--json").stdout)
    from_python = python()
    assert json.dumps(from_python) == json.dumps(from_cli), _difference(from_cli, from_python)
    return from_python


def cli_error(cli: str, *args: str) -> str:
    """The message of a CLI run that fails on bad input (exit 3), without its prefix."""
    result = run_cli(cli, *args, expect=3)
    prefix = "frugal: error: "
    assert result.stderr.startswith(prefix), result.stderr
    return result.stderr[len(prefix) :].strip()


def _difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} (CLI) != {list(b)} (Python)"
        for key in a:
            if a[key] != b[key]:
                return _difference(a[key], b[key], f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} (CLI) != {b!r} (Python)"


@pytest.fixture(scope="session")
def ensemble_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5,000 generated items, 5 members, gold labels (bench/generate_ensemble.cpp)."""
    generate = _tool("FRUGAL_GENERATE")
    path = tmp_path_factory.mktemp("ensemble") / "predictions.csv"
    subprocess.run(
        [generate, "--items", "5000", "--members", "5", "--seed", "7", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def read_predictions(path: Path) -> pd.DataFrame:
    """A predictions CSV as a user would load it: ids as strings, votes as integers."""
    return pd.read_csv(path, dtype={"id": str})


@pytest.fixture(scope="session")
def update_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated model update: OLD, NEW and LABELS (bench/generate_update_pair.cpp)."""
    generate = _tool("FRUGAL_GENERATE_UPDATE")
    directory = tmp_path_factory.mktemp("update")
    paths = {name: directory / f"{name}.csv" for name in ("old", "new", "labels")}
    subprocess.run(
        [
            generate, "--items", "4000", "--classes", "4", "--seed", "3",
            "--accuracy-old", "0.85", "--disagreement", "0.1", "--nfr", "0.02", "--pfr", "0.04",
            "--shuffle-new",
            "--old", str(paths["old"]), "--new", str(paths["new"]), "--labels", str(paths["labels"]),
        ],
        check=True,
        capture_output=True,
    )
    return paths
