"""Every Python entry point against the CLI on the same inputs: the same --json result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import frugal
from conftest import agree, read_predictions, run_cli


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"design": "independent", "seed": 5},
        {"design": "paper-reshuffle", "margin": 0.08},
        {"design": "paper-resample", "confidence": 0.9},
        {"ensemble": "atleast:2", "models": ["m1", "m3", "m4"], "seed": 11},
        {"ensemble": "weighted:m1=2,m2=1,m3=1,threshold=2.5"},
        {"prior_precision": {"ensemble": 0.9, "m2": 0.7}, "margin": 0.03},
    ],
)
def test_plan(cli_path: str, ensemble_csv: Path, tmp_path: Path, options: dict) -> None:
    args = ["plan", str(ensemble_csv), "--out", str(tmp_path / "plan.json")]
    for key, value in options.items():
        if key == "models":
            value = ",".join(value)
        elif key == "prior_precision":
            value = ",".join(f"{k}={v}" for k, v in value.items())
        args += [f"--{key.replace('_', '-')}", str(value)]
    predictions = read_predictions(ensemble_csv)
    plan = agree(
        cli_path, args, lambda: frugal.plan(predictions, source=str(ensemble_csv), **options)
    )
    assert plan["queue"], "a plan with no items to label tests nothing"


def test_plan_from_arrays_and_id_index(cli_path: str, ensemble_csv: Path, tmp_path: Path) -> None:
    frame = read_predictions(ensemble_csv)
    models = ["m1", "m2", "m3", "m4", "m5"]
    arrays = frugal.from_arrays(frame["id"].tolist(), frame[models].to_numpy(), models)
    cli = run_cli(cli_path, "plan", str(ensemble_csv), "--models", ",".join(models),
                  "--out", str(tmp_path / "p.json"), "--json")
    from_arrays = frugal.plan(arrays, source=str(ensemble_csv))
    from_index = frugal.plan(frame.set_index("id")[models].astype(bool), source=str(ensemble_csv))
    assert from_arrays == json.loads(cli.stdout)
    assert from_index == from_arrays


def _labels_for(predictions: pd.DataFrame, queue: list[str], count: int) -> pd.DataFrame:
    """Gold labels of the first `count` queued items, the rest of the queue left blank."""
    gold = predictions.set_index("id")["label"]
    labels = pd.DataFrame({"id": queue, "label": gold.loc[queue].to_numpy().astype(float)})
    labels.loc[count:, "label"] = np.nan
    return labels


@pytest.mark.parametrize(
    "design, estimator, interval, rule",
    [
        ("coordinated", "sample-proportion", "wilson", None),
        ("coordinated", "post-stratified", "clopper-pearson", None),
        ("coordinated", "inclusive-hajek", "wilson", "atleast:3"),
        ("paper-resample", "sample-proportion", "jeffreys", None),
    ],
)
def test_estimate(cli_path: str, ensemble_csv: Path, tmp_path: Path, design: str,
                  estimator: str, interval: str, rule: str | None) -> None:
    predictions = read_predictions(ensemble_csv)
    plan_path = tmp_path / "plan.json"
    run_cli(cli_path, "plan", str(ensemble_csv), "--design", design, "--out", str(plan_path))
    plan = frugal.plan(predictions, design=design, source=str(ensemble_csv))
    labels = _labels_for(predictions, plan["queue"], len(plan["queue"]) * 3 // 4)
    labels_path = tmp_path / "labels.csv"
    labels.to_csv(labels_path, index=False, float_format="%.0f")
    args = ["estimate", str(ensemble_csv), "--plan", str(plan_path), "--labels", str(labels_path),
            "--estimator", estimator, "--interval", interval]
    if rule:
        args += ["--rule", rule]
    result = agree(
        cli_path,
        args,
        lambda: frugal.estimate(predictions, plan_path, labels, estimator=estimator,
                                interval=interval, rule=rule),
    )
    assert result["sets"]["ensemble"]["status"] == "ok"
    # The plan as a dict (what frugal.plan returns) is the same plan as its file.
    assert frugal.estimate(predictions, plan, labels, estimator=estimator, interval=interval,
                           rule=rule) == result


def test_simulate(cli_path: str, ensemble_csv: Path) -> None:
    predictions = read_predictions(ensemble_csv)
    agree(
        cli_path,
        ["simulate", str(ensemble_csv), "--trials", "40", "--designs", "coordinated,independent",
         "--seed", "3", "--estimator", "post-stratified"],
        lambda: frugal.simulate(predictions, trials=40, designs=["coordinated", "independent"],
                                seed=3, estimator="post-stratified"),
    )


def test_flips_and_update(cli_path: str, update_files: dict[str, Path], tmp_path: Path) -> None:
    old, new, labels = (pd.read_csv(update_files[k], dtype=str, keep_default_na=False)
                        for k in ("old", "new", "labels"))
    paths = tuple(str(update_files[k]) for k in ("old", "new", "labels"))
    agree(
        cli_path,
        ["flips", paths[0], paths[1], "--labels", paths[2], "--by-class", "--confidence", "0.9"],
        lambda: frugal.flips(old, new, labels, by_class=True, confidence=0.9, sources=paths),
    )
    plan_path = tmp_path / "update-plan.json"
    summary, plan = frugal.update_plan(old, new, budget=150, seed=4, agreement_share=0.2,
                                       sources=paths[:2])
    cli_summary = agree(
        cli_path,
        ["update", "plan", paths[0], paths[1], "--budget", "150", "--seed", "4",
         "--agreement-share", "0.2", "--out", str(plan_path)],
        lambda: summary,
    )
    assert cli_summary["sample_size"] == 150
    assert plan == json.loads(plan_path.read_text())
    agree(
        cli_path,
        ["update", "estimate", paths[0], paths[1], "--plan", str(plan_path), "--labels", paths[2]],
        lambda: frugal.update_estimate(old, new, plan, labels, sources=paths),
    )


def test_campaign(cli_path: str, ensemble_csv: Path, tmp_path: Path) -> None:
    database = tmp_path / "campaign.db"
    run_cli(cli_path, "campaign", "init", str(database), "--predictions", str(ensemble_csv))
    campaign = frugal.Campaign(database)
    batch = agree(cli_path, ["next", str(database), "--batch", "30"], lambda: campaign.next(30))
    assert len(batch["items"]) == 30
    gold = read_predictions(ensemble_csv).set_index("id")["label"]
    ids = [item["id"] for item in batch["items"]]
    labels = pd.DataFrame({"id": ids, "label": gold.loc[ids].to_numpy()})
    # The same labels into a copy through the CLI: both stores must then agree.
    twin = tmp_path / "twin.db"
    shutil.copyfile(database, twin)
    labels_path = tmp_path / "labels.csv"
    labels.to_csv(labels_path, index=False)
    agree(cli_path, ["label", str(twin), str(labels_path)],
          lambda: campaign.label(labels, source=str(labels_path)))
    status = agree(cli_path, ["status", str(twin), "--rule", "any"],
                   lambda: _without_path(frugal.Campaign(database).status(rule="any"), twin))
    assert status["distinct_labelled"] == 30 and status["label_records"] == 30
    agree(cli_path, ["next", str(twin), "--batch", "10"], lambda: campaign.next(10))


def _without_path(status: dict, path: Path) -> dict:
    """The status names its database file; the twin's name stands in for the original's."""
    text = json.dumps(status)
    return json.loads(text.replace(str(path).replace("twin.db", "campaign.db"), str(path)))
