#!/usr/bin/python3
"""Baseline for bench/plan_throughput.sh: an independent-sampling plan in pandas + numpy.

Reads a predictions CSV (id, one 0/1 column per member, optional label/content/image), takes
the parent as the strict majority of the members, computes each set's Cochran sample size with
finite-population correction (p = 0.5), draws a simple random sample of that size from every
set's positives with numpy's Generator, and writes the union of the sampled ids, one per line,
to OUT. It is meant to be a fair, efficient pandas implementation: one read_csv with usecols
and dtype hints (the C parser), vectorised numpy for everything after it, no Python loop over
rows. Phase timings go to stderr.

  /usr/bin/python3 bench/pandas_independent_plan.py PRED.csv OUT.txt [--margin 0.05]
                   [--confidence 0.95] [--seed 1]
"""

import argparse
import math
import statistics
import sys
import time

import numpy as np
import pandas as pd

NOT_MEMBERS = {"id", "label", "content", "image"}


def cochran(positives: int, margin: float, confidence: float, prior: float = 0.5) -> int:
    """n = ceil(n0 / (1 + (n0 - 1) / N)), n0 = z^2 p (1 - p) / E^2; never more than N."""
    if positives == 0:
        return 0
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    n0 = z * z * prior * (1 - prior) / (margin * margin)
    return min(positives, math.ceil(n0 / (1 + (n0 - 1) / positives)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("predictions")
    parser.add_argument("out")
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    header = pd.read_csv(args.predictions, nrows=0).columns
    members = [name for name in header if name not in NOT_MEMBERS]
    dtypes = {name: np.uint8 for name in members}
    dtypes["id"] = object
    table = pd.read_csv(args.predictions, usecols=["id", *members], dtype=dtypes, engine="c")
    read_done = time.perf_counter()

    votes = table[members].to_numpy(dtype=np.uint8)  # rows x members
    vote_count = votes.sum(axis=1, dtype=np.uint8)
    sets = {"ensemble": 2 * vote_count.astype(np.int32) > len(members)}
    for j, name in enumerate(members):
        sets[name] = votes[:, j] == 1
    sets_done = time.perf_counter()

    rng = np.random.default_rng(args.seed)
    samples = []
    naive_sum = 0
    for name, mask in sets.items():
        rows = np.flatnonzero(mask)
        size = cochran(rows.size, args.margin, args.confidence)
        naive_sum += size
        samples.append(rng.choice(rows, size=size, replace=False))
        print(f"{name}: {rows.size} positives, sample {size}", file=sys.stderr)
    union = np.unique(np.concatenate(samples))
    sample_done = time.perf_counter()

    ids = table["id"].to_numpy()[union]
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("id\n")
        out.write("\n".join(ids))
        out.write("\n")
    end = time.perf_counter()
    print(
        f"{len(table)} items, {len(members)} members; naive sum {naive_sum}, "
        f"{union.size} distinct ids to annotate\n"
        f"read_csv {read_done - start:.2f} s, sets {sets_done - read_done:.2f} s, "
        f"sampling {sample_done - sets_done:.2f} s, write {end - sample_done:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
