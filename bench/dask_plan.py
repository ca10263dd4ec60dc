#!/usr/bin/python3
"""Plan time of frugal.dask on a LocalCluster (1 and 2 worker processes) against `frugal plan`
on the same generated predictions file, in the same script run.

    bench/dask_plan.py [--rows N] [--members M] [--workers 1,2] [--blocksize BYTES]
                       [--scratch DIR] [--build DIR] [--runs R]

Defaults: 50,000,000 rows, 8 members, workers 1 and 2, 64 MB blocks, scratch
/tmp/frugal-dask-bench, build build/helper-python (cmake -S . -B build/helper-python -G Ninja
-DCMAKE_BUILD_TYPE=Release; needs the targets frugal_cli, frugal_generate and
frugal_python_core). The file is generated once per (rows, members) and reused.

Reported per tool: median wall seconds over the runs, the ratio to the CLI, and the peak
resident memory of each process doing the work (the CLI process; each Dask worker process, as
its own getrusage maximum; the client). Every Dask plan is checked to be identical to the CLI's
plan (the same JSON), so a faster wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_cli(frugal: Path, data: Path, out: Path) -> tuple[float, float, dict]:
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", str(frugal), "plan", str(data), "--out", str(out)],
        capture_output=True, text=True, check=True,
    )
    seconds = time.perf_counter() - start
    rss_mb = int(result.stderr.strip().splitlines()[-1]) / 1024
    return seconds, rss_mb, json.loads(out.read_text())


def run_dask(data: Path, workers: int, blocksize: int) -> tuple[float, list[float], dict, int]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import frugal.dask

    # memory_limit=0: no spilling or pausing, so that the peak is what the plan needs.
    with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                      host="127.0.0.1", dashboard_address=None, memory_limit=0) as cluster, \
            Client(cluster) as client:
        ddf = dd.read_csv(str(data), dtype={"id": str}, blocksize=blocksize)
        start = time.perf_counter()
        plan = frugal.dask.plan(ddf, source=str(data))
        seconds = time.perf_counter() - start
        peaks = client.run(peak_rss_mb)
        return seconds, sorted(peaks.values()), plan, ddf.npartitions


def partition_breakdown(data: Path, blocksize: int) -> tuple[float, float, int]:
    """Seconds of pandas' read_csv and of frugal's own work on the first block, in this process:
    where a worker's time goes."""
    import dask.dataframe as dd

    import frugal._convert
    from frugal import _core

    first = dd.read_csv(str(data), dtype={"id": str}, blocksize=blocksize).to_delayed()[0]
    start = time.perf_counter()
    frame = first.compute(scheduler="synchronous")
    read = time.perf_counter() - start
    start = time.perf_counter()
    table = frugal._convert.make_table(frame, source=str(data), ensemble="majority", models=None)
    _core.collect_candidates(table, "majority", 0.05, 0.95, 1, "")
    _core.fingerprint_records(table)
    return read, time.perf_counter() - start, len(frame)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--blocksize", type=int, default=64_000_000)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/frugal-dask-bench"))
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "helper-python")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    sys.path.insert(0, str(args.build / "python"))
    frugal_cli = args.build / "frugal"
    generate = args.build / "bench" / "frugal_generate"
    args.scratch.mkdir(parents=True, exist_ok=True)
    data = args.scratch / f"predictions-{args.rows}-{args.members}.csv"
    if not data.exists():
        print(f"generating {data}", file=sys.stderr)
        subprocess.run([str(generate), "--items", str(args.rows), "--members", str(args.members),
                        "--seed", "1", str(data)], check=True)
    size_mb = data.stat().st_size / 1e6
    print(f"data: {args.rows:,} rows, {args.members} members, {size_mb:,.0f} MB ({data})")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")

    cli_times, cli_rss, reference = [], 0.0, None
    dask_times: dict[int, list[float]] = {}
    dask_rss: dict[int, list[float]] = {}
    partitions = 0
    workers_list = [int(w) for w in args.workers.split(",")]
    for _ in range(args.runs):  # interleaved, so that a change in load hits every tool
        seconds, rss, plan = run_cli(frugal_cli, data, args.scratch / "plan-cli.json")
        cli_times.append(seconds)
        cli_rss = max(cli_rss, rss)
        reference = plan
        for workers in workers_list:
            seconds, peaks, dask_plan, partitions = run_dask(data, workers, args.blocksize)
            if json.dumps(dask_plan) != json.dumps(reference):
                print(f"MISMATCH: the Dask plan with {workers} workers differs from the CLI's")
                return 1
            dask_times.setdefault(workers, []).append(seconds)
            dask_rss[workers] = [max(a, b) for a, b in
                                 zip(dask_rss.get(workers, [0.0] * len(peaks)), peaks)]

    read, work, block_rows = partition_breakdown(data, args.blocksize)
    cli = statistics.median(cli_times)
    print(f"partitions: {partitions} (blocksize {args.blocksize:,} bytes); runs: {args.runs}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end\n")
    print(f"{'tool':<28} {'median s':>9} {'vs CLI':>8} {'rows/s':>12}  peak RSS MB per process")
    print(f"{'frugal plan (CLI)':<28} {cli:>9.1f} {1.0:>7.2f}x {args.rows / cli:>12,.0f}  "
          f"{cli_rss:,.0f}")
    for workers in workers_list:
        seconds = statistics.median(dask_times[workers])
        peaks = ", ".join(f"{p:,.0f}" for p in dask_rss[workers])
        print(f"{f'frugal.dask, {workers} worker(s)':<28} {seconds:>9.1f} {seconds / cli:>7.2f}x "
              f"{args.rows / seconds:>12,.0f}  {peaks} (client {peak_rss_mb():,.0f})")
    print(f"\none block of {block_rows:,} rows: pandas read_csv {read:.2f} s, frugal (columns to "
          f"C++ table, candidates, fingerprint records) {work:.2f} s")
    print("every Dask plan is identical to the CLI's plan (same JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
