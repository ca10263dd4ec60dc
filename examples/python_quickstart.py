#!/usr/bin/python3
"""frugal from Python, notebook style: plan, annotate, estimate, simulate, a campaign, and the
same plan on a Dask cluster, on real data: five Fashion-MNIST "shirt" classifiers' votes on the
10,000 test images (the predictions `frugal demo` writes, with the gold label).

    examples/python_quickstart.py [PREDICTIONS] [--build DIR]

PREDICTIONS defaults to build/demo-fmnist/predictions.csv (run `scripts/demo` or
`build/release/frugal demo --dir build/demo-fmnist` once to make it). --build names the build
tree whose python/ directory holds the module (default: build/release); after
`pip install python/` the package imports without it. Each `# %%` starts a cell (VS Code,
Jupyter's jupytext and Spyder run them one by one).
"""

# %% Setup: import the package (from a build tree unless it is installed)
import argparse
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("predictions", nargs="?", default=str(root / "build/demo-fmnist/predictions.csv"))
parser.add_argument("--build", default=str(root / "build/release"))
parser.add_argument("--skip-dask", action="store_true", help="skip the LocalCluster cell")
args = parser.parse_args()
sys.path.insert(0, str(Path(args.build) / "python"))

import pandas as pd

import frugal

if not Path(args.predictions).exists():
    sys.exit(f"{args.predictions} is missing: run `build/release/frugal demo --dir build/demo-fmnist`")

# %% Load the predictions: one row per image, one 0/1 column per classifier, the gold label
predictions = pd.read_csv(args.predictions, dtype={"id": str})
print(predictions.head())
print(f"{len(predictions):,} items; models: {', '.join(predictions.columns[1:-1])}")

# %% Plan: how many labels each set needs for ±5% at 95%, and which items to label
plan = frugal.plan(predictions, margin=0.05, confidence=0.95, seed=1, source=args.predictions)
for entry in plan["sets"]:
    print(f"{entry['name']:<14} {entry['positives']:>6,} positives -> sample {entry['sample_size']}")
print(f"distinct items to label: {len(plan['queue'])} (naive sum {plan['naive_sum']}, "
      f"independent sampling ~{plan['expected_independent']:.0f})")

# %% "Annotate": the gold label stands in for the annotators, on the plan's queue only
gold = predictions.set_index("id")["label"]
labels = pd.DataFrame({"id": plan["queue"], "label": gold.loc[plan["queue"]].to_numpy()})

# %% Estimate every set's precision with its interval, next to the truth
result = frugal.estimate(predictions, plan, labels)
members = [c for c in predictions.columns if c not in ("id", "label")]
parent = predictions[members].sum(axis=1) > len(members) / 2
truth = {"ensemble": predictions.loc[parent, "label"].mean()}
truth.update({m: predictions.loc[predictions[m] == 1, "label"].mean() for m in members})
for name, entry in result["sets"].items():
    print(f"{name:<14} precision {entry['precision']:.3f} "
          f"[{entry['lower']:.3f}, {entry['upper']:.3f}]  true {truth[name]:.3f}")

# %% Simulate: the four designs over 200 Monte Carlo trials
simulation = frugal.simulate(predictions, trials=200, seed=1)
for design, entry in simulation["designs"].items():
    print(f"{design:<16} {entry['mean_annotations']:>7.1f} labels, "
          f"{100 * entry['savings_vs_naive']:.1f}% fewer than the naive sum")

# %% A campaign made by the CLI, driven from Python (sequential stopping)
import subprocess

workdir = Path(tempfile.mkdtemp(prefix="frugal-example-"))
database = workdir / "campaign.db"
cli = Path(args.build) / "frugal"
if cli.exists():
    subprocess.run([str(cli), "campaign", "init", str(database), "--predictions", args.predictions],
                   check=True, capture_output=True)
    campaign = frugal.Campaign(database)
    rounds = 0
    while True:
        batch = campaign.next(50)
        if batch["finished"] or not batch["items"]:
            break
        ids = [item["id"] for item in batch["items"]]
        campaign.label({"id": ids, "label": gold.loc[ids].to_numpy()})
        rounds += 1
    status = campaign.status()
    print(f"campaign finished after {rounds} rounds, {status['distinct_labelled']} labels "
          f"(a fixed-n coordinated plan would take {status['fixed_n_coordinated']})")

# %% The same plan on a Dask cluster: two workers, the data in 8 partitions
if not args.skip_dask:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import frugal.dask

    # Worker threads: worker processes are spawned, and a spawned process re-runs the script
    # that started it (python/tests/test_dask.py and bench/dask_plan.py use processes). The C++
    # work releases the GIL, so two threads still scan two partitions at once.
    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster):
        ddf = dd.from_pandas(predictions, npartitions=8, sort=False)
        distributed_plan = frugal.dask.plan(ddf, seed=1, source=args.predictions)
        print("Dask plan identical to the single-machine plan:", distributed_plan == plan)
        estimate = frugal.dask.estimate(ddf, distributed_plan, dd.from_pandas(labels, npartitions=2))
        print("Dask estimate identical too:", estimate == result)
