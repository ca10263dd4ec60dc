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
        merged = _core.merge_candidates(order)
        text = _core.plan_from_candidates(merged, names[1:], "majority", 0.05, 0.95, 1, "", "x",
                                          _core.fingerprint_finish(state))
        assert json.loads(text) == whole


def uneven_frame(ids: object = None) -> pd.DataFrame:
    """The review's case: 6000 rows, a model with no positives (m3), a rare model whose
    positives are all in the last 300 rows (m2), one whose only positive is the last row (m5)."""
    rng = np.random.default_rng(5)
    n = 6000
    frame = pd.DataFrame({
        "id": [f"it{i}" for i in rng.permutation(n)] if ids is None else ids,
        "m1": (rng.random(n) < 0.5).astype(int), "m2": (rng.random(n) < 0.05).astype(int),
        "m3": np.zeros(n, dtype=int), "m4": (rng.random(n) < 0.9).astype(int),
        "m5": np.zeros(n, dtype=int)})
    frame.loc[: n - 300, "m2"] = 0
    frame.loc[n - 1, "m5"] = 1
    return frame


UNEVEN_CUTS = [0, 1, 1, 2500, 2517, 5999, 6000]  # partitions of 1, 0, 2499, 17, 3482, 1 rows


def uneven_ddf(frame: pd.DataFrame) -> dd.DataFrame:
    import dask
    parts = [frame.iloc[a:b] for a, b in zip(UNEVEN_CUTS, UNEVEN_CUTS[1:])]
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=frame.iloc[:0])


@pytest.mark.parametrize(
    "options, flags",
    [({}, []), ({"margin": 0.01}, ["--margin", "0.01"]),
     ({"ensemble": "any", "seed": 3}, ["--ensemble", "any", "--seed", "3"]),
     ({"ensemble": "column:m4", "models": ["m1", "m2", "m3", "m5"]},
      ["--ensemble", "column:m4", "--models", "m1,m2,m3,m5"]),
     ({"split_every": 2}, [])],
)
def test_uneven_partitions_and_rare_models(client, cli_path: str, tmp_path: Path,
                                           options: dict, flags: list[str]) -> None:
    frame = uneven_frame()
    path = tmp_path / "uneven.csv"
    frame.to_csv(path, index=False)
    ddf = uneven_ddf(frame)
    assert [len(p) for p in ddf.partitions] == [1, 0, 2499, 17, 3482, 1]
    got = frugal.dask.plan(ddf, source=str(path), **options)
    assert json.dumps(got) == json.dumps(cli_plan(cli_path, path, tmp_path / "p.json", *flags))
    sets = {s["name"]: s for s in got["sets"]}
    assert sets["m3"]["positives"] == 0 and sets["m3"]["sample"] == []
    assert sets["m5"]["sample"] == [frame["id"].iloc[-1]]


def test_integer_ids(client, cli_path: str, tmp_path: Path) -> None:
    frame = uneven_frame(ids=np.arange(6000) * 7 + 3)
    path = tmp_path / "int.csv"
    frame.to_csv(path, index=False)
    got = frugal.dask.plan(dd.from_pandas(frame, npartitions=5, sort=False), source=str(path))
    assert json.dumps(got) == json.dumps(cli_plan(cli_path, path, tmp_path / "p.json"))


def test_empty_dataframe_is_the_cli_message(client, cli_path: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("id,m1,m2,m3\n")
    frame = uneven_frame()[["id", "m1", "m2", "m3"]].iloc[:0]
    expected = run_cli(cli_path, "plan", str(path), "--out", str(tmp_path / "p.json"), expect=3)
    for partitions in (1, 3):
        ddf = dd.from_pandas(frame, npartitions=1)
        if partitions > 1:
            ddf = dd.concat([ddf] * partitions)
        with pytest.raises(ValueError) as error:
            frugal.dask.plan(ddf, source=str(path))
        assert f"frugal: error: {error.value}" == expected.stderr.strip()


def test_estimate_ignores_an_edited_count_of_positives(client, cli_path: str,
                                                       tmp_path: Path) -> None:
    """The file's N_s is not trusted: like `frugal estimate`, the estimate (and its
    finite-population interval) uses the positives of the predictions."""
    frame = uneven_frame()
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    plan_path = tmp_path / "plan.json"
    cli_plan(cli_path, path, plan_path)
    plan = json.loads(plan_path.read_text())
    assert plan["sets"][1]["name"] == "m1"
    plan["sets"][1]["positives"] = 10**9
    plan["sets"][1]["sample_size"] += 1
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(plan, indent=2))
    queue = plan["queue"][:200]
    labels = pd.DataFrame({"id": queue, "label": [int(i % 3 != 0) for i in range(len(queue))]})
    labels_path = tmp_path / "labels.csv"
    labels.to_csv(labels_path, index=False)
    expected = json.loads(run_cli(cli_path, "estimate", str(path), "--plan", str(edited),
                                  "--labels", str(labels_path), "--json").stdout)
    got = frugal.dask.estimate(uneven_ddf(frame), edited, labels, labels_source=str(labels_path))
    assert json.dumps(got) == json.dumps(expected)
    assert got["sets"]["m1"]["positives"] == int(frame["m1"].sum())


def test_duplicate_id_without_the_check(client, tmp_path: Path) -> None:
    """check_ids=False: a duplicate across partitions is counted as two items (the CLI refuses
    the file); the plan is made, but no file has its fingerprint, so `frugal estimate` on the
    concatenated file refuses it."""
    frame = uneven_frame()
    frame.loc[5000, "id"] = frame.loc[100, "id"]
    frame.loc[[100, 5000], "m5"] = 1
    ddf = uneven_ddf(frame)
    got = frugal.dask.plan(ddf, check_ids=False)
    assert got["predictions"]["items"] == 6000
    m5 = next(s for s in got["sets"] if s["name"] == "m5")
    assert m5["positives"] == 3
    assert m5["sample"].count(frame.loc[100, "id"]) == 2
    assert got["queue"].count(frame.loc[100, "id"]) == 1
    with pytest.raises(ValueError, match="duplicate id"):
        frugal.dask.plan(ddf)
