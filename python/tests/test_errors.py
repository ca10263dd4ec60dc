"""Bad input from Python: a ValueError with a clear message, never a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import frugal
from conftest import cli_error, read_predictions


def small() -> dict[str, np.ndarray]:
    return {
        "id": np.array(["a", "b", "c", "d"], dtype=object),
        "m1": np.array([1, 0, 1, 1]),
        "m2": np.array([1, 1, 0, 1]),
        "m3": np.array([0, 0, 1, 1]),
    }


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(m2=np.array([1.0, np.nan, 0.0, 1.0])), "'m2', row 1 (id 'b'): NaN is"),
        (lambda d: d.update(m2=np.array([1, None, 0, 1], dtype=object)), "row 1 (id 'b'): None is"),
        (lambda d: d.update(m2=np.array([1, 2, 0, 1])), "'m2', row 1 (id 'b'): 2 is not a vote"),
        (lambda d: d.update(m2=np.array(["1", "yes", "0", "1"], dtype=object)), "'yes'"),
        (lambda d: d.update(m2=np.array([1 + 1j, 0, 0, 1])), "dtype complex128"),
        (lambda d: d.update(m2=np.array([1, 0, 1])), "has 3 values, the first column has 4"),
        (lambda d: d.update(m2=np.ones((4, 2))), "columns must be 1-D"),
        (lambda d: d.update(id=np.array(["a", "b", None, "d"], dtype=object)), "holds None, not a string"),
        (lambda d: d.update(id=np.array([0.5, 1.5, 2.5, 3.5])), "floating-point"),
        (lambda d: d.pop("id"), 'no "id" column'),
    ],
)
def test_bad_predictions(change, message: str) -> None:
    data = small()
    change(data)
    with pytest.raises(ValueError, match=None) as error:
        frugal.plan(data)
    assert message in str(error.value), str(error.value)


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="margin must be"):
        frugal.plan(small(), margin=0)
    with pytest.raises(ValueError, match="design must be one of"):
        frugal.plan(small(), design="stratified")
    with pytest.raises(ValueError, match="seed must be"):
        frugal.plan(small(), seed=-1)
    with pytest.raises(ValueError, match="atleast"):
        frugal.plan(small(), ensemble="atleast:x")
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        frugal.plan("predictions.csv")  # type: ignore[arg-type]


def test_not_a_frame_message() -> None:
    with pytest.raises(ValueError) as error:
        frugal.plan(42)  # type: ignore[arg-type]
    assert "must be a pandas DataFrame or a mapping" in str(error.value)


def test_vote_matrix_shape() -> None:
    with pytest.raises(ValueError, match="there are 2 ids and 3 models"):
        frugal.from_arrays(["a", "b"], np.ones((3, 3)), ["x", "y", "z"])


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_same_messages_as_the_cli(cli_path: str, tmp_path: Path) -> None:
    """The library's checks give the CLI's message, position included, on the same data."""
    duplicated = pd.DataFrame(small()).assign(id=["a", "b", "a", "d"])
    path = write(tmp_path / "dup.csv", duplicated)
    with pytest.raises(ValueError) as error:
        frugal.plan(duplicated, source=str(path))
    assert str(error.value) == cli_error(cli_path, "plan", str(path), "--out", str(tmp_path / "p"))

    path = write(tmp_path / "ok.csv", pd.DataFrame(small()))
    for options, flags in [
        ({"models": ["m1", "nope"]}, ["--models", "m1,nope"]),
        ({"ensemble": "atleast:4"}, ["--ensemble", "atleast:4"]),
        ({"prior_precision": {"m9": 0.9}}, ["--prior-precision", "m9=0.9"]),
    ]:
        with pytest.raises(ValueError) as error:
            frugal.plan(pd.DataFrame(small()), source=str(path), **options)
        assert str(error.value) == cli_error(
            cli_path, "plan", str(path), "--out", str(tmp_path / "p"), *flags
        )


def test_unknown_label_ids(cli_path: str, ensemble_csv: Path, tmp_path: Path) -> None:
    predictions = read_predictions(ensemble_csv)
    plan_path = tmp_path / "plan.json"
    plan = frugal.plan(predictions, source=str(ensemble_csv))
    plan_path.write_text(__import__("json").dumps(plan, indent=2))
    labels = pd.DataFrame({"id": [plan["queue"][0], "no-such-item"], "label": [1, 0]})
    labels_path = write(tmp_path / "labels.csv", labels)
    with pytest.raises(ValueError) as error:
        frugal.estimate(predictions, plan, labels, labels_source=str(labels_path))
    assert "no-such-item" in str(error.value)
    assert str(error.value) == cli_error(
        cli_path, "estimate", str(ensemble_csv), "--plan", str(plan_path), "--labels",
        str(labels_path)
    )
    with pytest.raises(ValueError, match="fingerprint"):
        frugal.estimate(predictions.iloc[:-1], plan, labels.iloc[:1])


def test_campaign_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        frugal.Campaign(tmp_path / "missing.db")
    with pytest.raises(ValueError):
        frugal.flips({"id": ["a"], "prediction": ["x"]}, {"id": ["b"], "prediction": ["x"]},
                     {"id": ["a"], "label": ["x"]})


def test_interpreter_survives_bad_input() -> None:
    """A fresh interpreter fed every kind of bad input ends normally (no abort, no segfault)."""
    script = """
import numpy as np, frugal
bad = [
    {"id": np.array(["a", "a"], dtype=object), "m": np.array([1, 1])},
    {"id": np.array(["a", "b"], dtype=object), "m": np.array([np.nan, 1.0])},
    {"id": np.array(["a", "b"], dtype=object), "m": np.array([1])},
    {"id": np.array([], dtype=object), "m": np.array([], dtype=np.int64)},
    {"id": np.array(["a", "b"], dtype=object)},
    {"id": np.array(["a", "b"], dtype=object), "m": np.array([3, 1])},
]
failures = 0
for data in bad:
    try:
        frugal.plan(data)
    except ValueError:
        failures += 1
for call in (lambda: frugal.estimate({"id": ["a"], "m": [1]}, "{}", {"id": ["a"], "label": [1]}),
             lambda: frugal.estimate({"id": ["a"], "m": [1]}, '{"models": 3', {"id": [], "label": []}),
             lambda: frugal.simulate({"id": ["a", "b"], "m": [1, 0]}, trials=2)):
    try:
        call()
    except ValueError:
        failures += 1
print(failures)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "9", result.stdout + result.stderr


def test_empty_frame_is_the_cli_message(cli_path: str, tmp_path: Path) -> None:
    """No rows: the CLI's position (line 2, the first data row) and wording."""
    path = tmp_path / "empty.csv"
    path.write_text("id,m1,m2,m3\n")
    frame = pd.DataFrame({"id": pd.Series([], dtype=object), "m1": pd.Series([], dtype=int),
                          "m2": pd.Series([], dtype=int), "m3": pd.Series([], dtype=int)})
    with pytest.raises(ValueError) as error:
        frugal.plan(frame, source=str(path))
    assert str(error.value) == cli_error(cli_path, "plan", str(path), "--out", str(tmp_path / "p"))
