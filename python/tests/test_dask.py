"""frugal.dask on a LocalCluster of two worker processes: the same plan, item for item, as
`frugal plan` on the concatenated file, and the same estimate as `frugal estimate`."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import frugal
import frugal.dask
from frugal import _core
from conftest import read_predictions, run_cli


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                           dashboard_address=None)
    with Client(cluster) as connected:
        yield connected
    cluster.close()


def cli_plan(cli: str, path: Path, out: Path, *flags: str) -> dict:
    return json.loads(run_cli(cli, "plan", str(path), "--out", str(out), "--json", *flags).stdout)


@pytest.mark.parametrize(
    "partitions, options, flags",
    [
        (7, {}, []),
        (3, {"seed": 9, "ensemble": "atleast:2", "margin": 0.07}, ["--seed", "9", "--ensemble",
                                                                   "atleast:2", "--margin", "0.07"]),
        (5, {"ensemble": "column:m5", "models": ["m1", "m2", "m3"]},
         ["--ensemble", "column:m5", "--models", "m1,m2,m3"]),
        (4, {"prior_precision": {"m2": 0.8}, "margin": 0.02}, ["--prior-precision", "m2=0.8",
                                                               "--margin", "0.02"]),
    ],
)
def test_plan_equals_the_cli(client, cli_path: str, ensemble_csv: Path, tmp_path: Path,
                             partitions: int, options: dict, flags: list[str]) -> None:
    frame = read_predictions(ensemble_csv)
    ddf = dd.from_pandas(frame, npartitions=partitions, sort=False)
    assert ddf.npartitions > 1
    expected = cli_plan(cli_path, ensemble_csv, tmp_path / "plan.json", *flags)
    got = frugal.dask.plan(ddf, source=str(ensemble_csv), **options)
    assert json.dumps(got) == json.dumps(expected)
    assert sum(len(s["sample"]) for s in got["sets"]) > len(got["queue"]), "no shared items"


def test_plan_from_csv_blocks_with_an_empty_partition(client, cli_path: str, ensemble_csv: Path,
                                                       tmp_path: Path) -> None:
    ddf = dd.read_csv(str(ensemble_csv), dtype={"id": str}, blocksize=40_000)
    # An empty partition in the middle (a filter that drops a whole block) changes nothing.
    parts = ddf.to_delayed()
    empty = dd.from_pandas(read_predictions(ensemble_csv).iloc[:0], npartitions=1)
    ddf = dd.concat([dd.from_delayed(parts[:2], meta=ddf._meta), empty,
                     dd.from_delayed(parts[2:], meta=ddf._meta)])
    assert ddf.npartitions >= 4
    expected = cli_plan(cli_path, ensemble_csv, tmp_path / "plan.json")
    assert frugal.dask.plan(ddf, source=str(ensemble_csv)) == expected


def test_estimate_equals_the_cli(client, cli_path: str, ensemble_csv: Path,
                                 tmp_path: Path) -> None:
    frame = read_predictions(ensemble_csv)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    plan_path = tmp_path / "plan.json"
    cli_plan(cli_path, ensemble_csv, plan_path)
    plan = json.loads(plan_path.read_text())
    gold = frame.set_index("id")["label"]
    queue = plan["queue"]
    outside = [i for i in frame["id"][:40] if i not in set(queue)][:5]
    labels = pd.DataFrame({"id": queue[: len(queue) // 2] + outside,
                           "label": gold.loc[queue[: len(queue) // 2] + outside].to_numpy(),
                           "annotator": "ann"})
    labels_path = tmp_path / "labels.csv"
    labels.to_csv(labels_path, index=False)
    expected = json.loads(run_cli(cli_path, "estimate", str(ensemble_csv), "--plan",
                                  str(plan_path), "--labels", str(labels_path), "--json").stdout)
    got = frugal.dask.estimate(ddf, plan_path, dd.from_pandas(labels, npartitions=2),
                               labels_source=str(labels_path))
    assert json.dumps(got) == json.dumps(expected)
    assert got["labels"]["outside_plan"] == len(outside)

    unknown = pd.concat([labels, pd.DataFrame({"id": ["nobody"], "label": [1],
                                               "annotator": ["ann"]})])
    with pytest.raises(ValueError, match='"nobody"'):
        frugal.dask.estimate(ddf, plan_path, unknown)
    with pytest.raises(ValueError, match="fingerprint"):
        frugal.dask.estimate(dd.from_pandas(frame.iloc[1:], npartitions=3), plan_path, labels)
    with pytest.raises(ValueError, match="sample-proportion"):
        frugal.dask.estimate(ddf, plan_path, labels, estimator="post-stratified")


def test_bad_partition_is_a_value_error(client, ensemble_csv: Path) -> None:
    frame = read_predictions(ensemble_csv)
    frame.loc[4000, "m2"] = np.nan
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    with pytest.raises(ValueError, match="NaN"):
        frugal.dask.plan(ddf)


def test_duplicate_ids_across_partitions(client, cli_path: str, ensemble_csv: Path,
                                         tmp_path: Path) -> None:
    frame = read_predictions(ensemble_csv)
    frame.loc[3900, "id"] = frame.loc[120, "id"]  # rows in different partitions
    path = tmp_path / "duplicated.csv"
    frame.to_csv(path, index=False)
    expected = run_cli(cli_path, "plan", str(path), "--out", str(tmp_path / "p.json"), expect=3)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    with pytest.raises(ValueError) as error:
        frugal.dask.plan(ddf, source=str(path))
    assert f"frugal: error: {error.value}" == expected.stderr.strip()
    # Without the check the duplicate goes unnoticed: the check is what refuses it.
    frugal.dask.plan(ddf, source=str(path), check_ids=False)


def test_candidates_merge_and_pickle(ensemble_csv: Path) -> None:
    """The partition-level pieces without a cluster: any split, any merge order, one plan."""
    frame = read_predictions(ensemble_csv)
    whole = frugal.plan(frame, source="x")
    names = ["ensemble", "m1", "m2", "m3", "m4", "m5"]
    parts = []
    for piece in np.array_split(np.arange(len(frame)), 6):
        table = frugal._convert.make_table(frame.iloc[piece], source="x", ensemble="majority",
                                           models=None)
        parts.append(pickle.loads(pickle.dumps(
            _core.collect_candidates(table, "majority", 0.05, 0.95, 1, ""))))
    state = _core.fingerprint_start(names[1:])
    for piece in np.array_split(np.arange(len(frame)), 6):
        table = frugal._convert.make_table(frame.iloc[piece], source="x", ensemble="majority",
                                           models=None)
        state = _core.fingerprint_update(state, _core.fingerprint_records(table))
    for order in (parts, parts[::-1], parts[3:] + parts[:3]):
        merged = _core.merge_candidates(order, names, 0.05, 0.95, "")
        text = _core.plan_from_candidates(merged, names[1:], "majority", 0.05, 0.95, 1, "", "x",
                                          _core.fingerprint_finish(state))
        assert json.loads(text) == whole
