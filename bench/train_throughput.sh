#!/usr/bin/env bash
# Training throughput of frugal's `mlp` or `cnn` (`frugal train --model M`, LibTorch from libtorch-dev)
# against the same network, optimizer, batch size and thread count in Debian's python3-torch
# (bench/pytorch_mlp_train.py), both on the full Fashion-MNIST training set (60,000 images),
# timed in the same run. Builds nothing.
#
#   bench/train_throughput.sh [--build DIR] [--model mlp|cnn] [--epochs E] [--runs R]
#                             [--threads "1 2"] [--wait-load L]
#
# For each thread count T, the two tools run alternately R times each (frugal, python, frugal,
# ...), so that a change in machine load hits both. images/s = epochs x 60,000 / training
# seconds, where the training seconds exclude reading the IDX files in both tools: frugal's
# `training_seconds` (--json) times the train_model call, which starts from the decoded uint8
# images (it converts them to standardised floats, builds the network and runs the epochs); the
# Python script times the same steps. Reported: median images/s of each, the ratio
# frugal/pytorch of the medians, and test accuracies.
#
# OMP_WAIT_POLICY=PASSIVE is set for both processes. frugal sets it on itself (it re-executes
# with it, see training_settings::threads); the Python process gets it from this script so that
# both run libgomp with the same policy.
#
# --wait-load L: before timing, wait until the 1-minute load average is below L, checking every
# 30 s for up to 5 minutes, then measure anyway (the load is printed either way).
# Defaults: build build/release, 5 epochs, 3 runs, threads "1 2", seed 1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/release
epochs=5
runs=3
model=mlp
threads_list="1 2"
wait_load=
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads_list=$2; shift 2 ;;
    --wait-load) wait_load=$2; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "train_throughput.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[[ $model == mlp || $model == cnn ]] || { echo "train_throughput.sh: --model is mlp or cnn" >&2; exit 2; }
# The network's own options: the mlp's hidden widths (the cnn has none).
shape=()
[[ $model == mlp ]] && shape=(--hidden 256,128)
frugal=$build/frugal
python=/usr/bin/python3  # Debian's: the one that sees python3-torch and python3-numpy
baseline=$root/bench/pytorch_mlp_train.py
[[ -x $frugal && -x $build/frugal-train ]] ||
  { echo "train_throughput.sh: $frugal (and frugal-train) not built" >&2; exit 2; }
"$python" -c 'import torch' 2> /dev/null ||
  { echo "train_throughput.sh: $python cannot import torch (apt-get install python3-torch)" >&2; exit 2; }
work=$(mktemp -d /tmp/frugal-train-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

load1() { awk '{ print $1 }' /proc/loadavg; }
if [[ -n $wait_load ]]; then
  for ((check = 0; check < 10; ++check)); do
    awk -v l="$(load1)" -v w="$wait_load" 'BEGIN { exit !(l < w) }' && break
    echo "waiting for load < $wait_load: $(uptime)" >&2
    sleep 30
  done
  awk -v l="$(load1)" -v w="$wait_load" 'BEGIN { exit !(l < w) }' ||
    echo "note: load still >= $wait_load after 5 minutes; measuring anyway"
fi

echo "frugal:  $frugal train --model $model ${shape[*]} --epochs $epochs --seed 1 --threads T --json"
echo "pytorch: OMP_WAIT_POLICY=PASSIVE $python bench/pytorch_mlp_train.py --model $model ${shape[*]} --epochs $epochs --seed 1 --threads T"
echo "         (torch $("$python" -c 'import torch; print(torch.__version__)'), Debian python3-torch $(dpkg-query -W -f='${Version}' python3-torch), libtorch-dev $(dpkg-query -W -f='${Version}' libtorch-dev))"
echo "batch 64, Adam lr 1e-3, 60,000 training images, $runs runs each, alternating"
echo "load before: $(uptime)"

# Each run appends "threads tool seconds accuracy" to $work/results.
for threads in $threads_list; do
  for ((run = 1; run <= runs; ++run)); do
    "$frugal" train --model "$model" "${shape[@]}" --epochs "$epochs" --seed 1 --threads "$threads" \
      --json > "$work/frugal.json" 2> "$work/frugal.err" ||
      { echo "train_throughput.sh: frugal failed:" >&2; cat "$work/frugal.err" >&2; exit 1; }
    "$python" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(sys.argv[2], "frugal", r["training_seconds"], r["test_accuracy"])' \
      "$work/frugal.json" "$threads" >> "$work/results"
    OMP_WAIT_POLICY=PASSIVE "$python" "$baseline" --model "$model" "${shape[@]}" --epochs "$epochs" --seed 1 \
      --threads "$threads" > "$work/pytorch.json" 2> "$work/pytorch.err" ||
      { echo "train_throughput.sh: pytorch_mlp_train.py failed:" >&2; cat "$work/pytorch.err" >&2; exit 1; }
    "$python" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(sys.argv[2], "pytorch", r["training_seconds"], r["test_accuracy"])' \
      "$work/pytorch.json" "$threads" >> "$work/results"
    echo "  threads $threads run $run: $(tail -n 2 "$work/results" | awk '{ printf "%s %.2f s acc %s; ", $2, $3, $4 }')$(uptime | sed 's/.*load/load/')"
  done
done
echo "load after: $(uptime)"

"$python" - "$work/results" "$epochs" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
epochs, images = int(sys.argv[2]), 60000
print()
print("threads | frugal images/s: median (runs)          | pytorch images/s: median (runs)         | frugal/pytorch | accuracy frugal | pytorch")
print("--------+-----------------------------------------+-----------------------------------------+----------------+-----------------+--------")
for threads in sorted({r[0] for r in rows}, key=int):
    speed, accuracy = {}, {}
    for tool in ("frugal", "pytorch"):
        mine = [r for r in rows if r[0] == threads and r[1] == tool]
        speed[tool] = [epochs * images / float(r[2]) for r in mine]
        accuracy[tool] = sorted({r[3] for r in mine})
    cells = []
    for tool in ("frugal", "pytorch"):
        runs = " ".join(f"{v:.0f}" for v in speed[tool])
        cells.append(f"{statistics.median(speed[tool]):7.0f} ({runs})".ljust(39))
    ratio = statistics.median(speed["frugal"]) / statistics.median(speed["pytorch"])
    print(f"{threads:>7} | {cells[0]} | {cells[1]} | {ratio:13.2f}x | {' '.join(accuracy['frugal']):>15} | {' '.join(accuracy['pytorch'])}")
EOF
