"""The package installs with pip, offline, into a venv made from Debian's interpreter with
--system-site-packages, and works from there (not from the build tree)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_pip_install_into_a_fresh_venv(tmp_path: Path) -> None:
    source = os.environ.get("FRUGAL_SOURCE_DIR")
    build = os.environ.get("FRUGAL_BUILD_DIR")
    if not source or not build:
        pytest.fail("run through CTest: FRUGAL_SOURCE_DIR and FRUGAL_BUILD_DIR locate the build")
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # The build tree the tests run from: pip's CMake step only brings it up to date, so the test
    # does not compile the library a second time. Network access is refused (--no-index) and
    # pip may not fetch build requirements (--no-build-isolation).
    environment.update(FRUGAL_BUILD_DIR=build, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    # pip builds in place: a copy of python/ keeps setuptools' build/ and egg-info out of the
    # source tree (setup.py finds the C++ sources through FRUGAL_BUILD_DIR's cache).
    package = tmp_path / "python"
    shutil.copytree(Path(source) / "python", package,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-build-isolation", "--no-index", "-q",
         str(package)],
        capture_output=True, text=True, env=environment, timeout=600, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    check = """
import pathlib, frugal, frugal.dask
assert "site-packages" in frugal.__file__, frugal.__file__
assert (pathlib.Path(frugal.__file__).parent / "py.typed").exists()
plan = frugal.plan({"id": ["a", "b", "c"], "m1": [1, 0, 1], "m2": [1, 1, 1], "m3": [0, 0, 1]})
assert plan["sets"][0]["positives"] == 2, plan
print(frugal.__version__)
"""
    result = subprocess.run([str(python), "-c", check], capture_output=True, text=True,
                            env=environment, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.1.0"
    assert sys.executable  # the test itself runs under Debian's interpreter too
