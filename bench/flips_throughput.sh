#!/usr/bin/env bash
# Throughput of `frugal flips OLD NEW --labels LABELS --json` against bench/pandas_flips.py
# (pandas + numpy: read, merge on id, the same headline metrics) on the same generated model
# update, timed in the same run. Each tool runs --runs times, interleaved so that a change in
# machine load hits both; reported: median wall time, rows/s, MB/s (10^6 bytes of the three
# input files), the largest resident set over the runs, and the ratio the target is stated in
# (pandas / frugal time >= 3x). The two must agree on the counts behind NFR, PFR and churn
# (negative flips, positive flips, changed predictions, labelled and paired items); a mismatch
# exits 1.
#
#   bench/flips_throughput.sh [--items N] [--classes K] [--runs R] [--scratch DIR] [--build DIR]
#                             [--wait-load L]
#
# --wait-load L: before timing, wait until the 1-minute load average is below L, checking every
# 30 s for up to 10 minutes, then measure anyway (the load is printed either way).
# Defaults: 10,000,000 items, 10 classes, 3 runs, scratch /tmp/frugal-bench, build build/bench
# (cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRUGAL_BUILD_TESTS=OFF).
# The pair is generated once per (items, classes) and reused while present:
#   frugal_generate_update --items N --classes K --seed 1 --accuracy-old 0.9 --disagreement 0.1
#                          --nfr 0.02 --shuffle-new
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
items=10000000
classes=10
runs=3
scratch=/tmp/frugal-bench
build=$root/build/bench
wait_load=
while [[ $# -gt 0 ]]; do
  case $1 in
    --items) items=$2; shift 2 ;;
    --classes) classes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --wait-load) wait_load=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "flips_throughput.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

frugal=$build/frugal
generate=$build/bench/frugal_generate_update
python=/usr/bin/python3  # Debian's: the one that sees python3-pandas and python3-numpy
baseline=$root/bench/pandas_flips.py
for tool in "$frugal" "$generate"; do
  [[ -x $tool ]] || { echo "flips_throughput.sh: $tool not built" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "flips_throughput.sh: needs /usr/bin/time (GNU time)" >&2; exit 2; }

mkdir -p "$scratch"
stem=$scratch/update-${items}x${classes}
old=$stem-old.csv
new=$stem-new.csv
labels=$stem-labels.csv
if [[ ! -s $old || ! -s $new || ! -s $labels ]]; then
  echo "generating $stem-{old,new,labels}.csv ..." >&2
  "$generate" --items "$items" --classes "$classes" --seed 1 --accuracy-old 0.9 \
    --disagreement 0.1 --nfr 0.02 --shuffle-new --old "$old" --new "$new" --labels "$labels"
fi
bytes=$(($(stat -c %s "$old") + $(stat -c %s "$new") + $(stat -c %s "$labels")))
work=$(mktemp -d "$scratch/run.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Both tools read files that are already in the page cache: this measures the tools, not the
# disk.
cat "$old" "$new" "$labels" > /dev/null

load1() { awk '{ print $1 }' /proc/loadavg; }
if [[ -n $wait_load ]]; then
  for ((check = 0; check < 20; ++check)); do
    awk -v l="$(load1)" -v w="$wait_load" 'BEGIN { exit !(l < w) }' && break
    echo "waiting for load < $wait_load: $(uptime)" >&2
    sleep 30
  done
  awk -v l="$(load1)" -v w="$wait_load" 'BEGIN { exit !(l < w) }' ||
    echo "note: load still >= $wait_load after 10 minutes; measuring anyway"
fi
echo "load before: $(uptime)"
run() {  # run NAME COMMAND...: appends "seconds kilobytes" to $work/NAME.times
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/$name.out" 2> "$work/$name.err" || {
    echo "flips_throughput.sh: $name failed:" >&2
    cat "$work/$name.err" >&2
    exit 1
  }
  cat "$work/time" >> "$work/$name.times"
}
for ((i = 1; i <= runs; ++i)); do
  run frugal "$frugal" flips "$old" "$new" --labels "$labels" --json
  run pandas "$python" "$baseline" "$old" "$new" "$labels"
done
echo "load after:  $(uptime)"
sed 's/^/pandas (last run): /' "$work/pandas.err"

# The counts behind NFR, PFR and churn, from each tool's JSON. frugal's layout: the overall
# metrics under "metrics", their cells (and `changed`) under "metrics"."counts".
"$python" - "$work/frugal.out" "$work/pandas.out" <<'EOF' || exit 1
import json
import sys


def frugal_counts(doc):
    overall = doc.get("metrics", doc.get("overall", doc))
    counts = overall.get("counts", overall)
    return {
        "items": doc.get("items", overall.get("items")),
        "labelled": doc.get("labelled", overall.get("labelled")),
        "changed": counts.get("changed", overall.get("changed")),
        **{k: counts[k] for k in ("negative_flips", "positive_flips", "both_right", "both_wrong")},
    }


def pandas_counts(doc):
    return {"items": doc["items"], "labelled": doc["labelled"], "changed": doc["changed"],
            **{k: doc["counts"][k] for k in ("negative_flips", "positive_flips", "both_right",
                                             "both_wrong")}}


with open(sys.argv[1]) as f:
    frugal = frugal_counts(json.load(f))
with open(sys.argv[2]) as f:
    pandas = pandas_counts(json.load(f))
print(f"{'count':<16} {'frugal':>12} {'pandas':>12}")
same = True
for key in pandas:
    mark = "" if frugal[key] == pandas[key] else "   MISMATCH"
    same = same and not mark
    print(f"{key:<16} {str(frugal[key]):>12} {str(pandas[key]):>12}{mark}")
n = pandas["labelled"]
print(f"NFR {pandas['negative_flips'] / n:.6f}, PFR {pandas['positive_flips'] / n:.6f}, "
      f"churn {pandas['changed'] / pandas['items']:.6f}")
print("counts agree" if same else "counts DIFFER")
sys.exit(0 if same else 1)
EOF

median() { sort -g "$1" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
peak_kb() { awk '$2 > m { m = $2 } END { print m }' "$1"; }
frugal_s=$(median "$work/frugal.times")
pandas_s=$(median "$work/pandas.times")
frugal_kb=$(peak_kb "$work/frugal.times")
pandas_kb=$(peak_kb "$work/pandas.times")

awk -v bytes="$bytes" -v items="$items" -v classes="$classes" -v runs="$runs" \
    -v fs="$frugal_s" -v ps="$pandas_s" -v fkb="$frugal_kb" -v pkb="$pandas_kb" \
    -v ft="$(tr '\n' ' ' < "$work/frugal.times")" -v pt="$(tr '\n' ' ' < "$work/pandas.times")" '
function verdict(ok) { return ok ? "met" : "MISSED" }
BEGIN {
  mb = bytes / 1e6
  printf "\nfiles: %.1f MB in all (%d bytes: old, new, labels), %d items, %d classes; %d runs each (seconds, KB per run)\n",
         mb, bytes, items, classes, runs
  printf "  frugal runs: %s\n  pandas runs: %s\n\n", ft, pt
  printf "%-34s %9s %12s %8s %14s\n", "tool", "median s", "rows/s", "MB/s", "peak RSS MB"
  printf "%-34s %9.2f %12.0f %8.1f %14.1f\n", "frugal flips --json", fs, items / fs, mb / fs, fkb * 1024 / 1e6
  printf "%-34s %9.2f %12.0f %8.1f %14.1f\n", "pandas + numpy (pandas_flips.py)", ps, items / ps, mb / ps, pkb * 1024 / 1e6
  printf "\n"
  printf "pandas / frugal time       %7.2fx       target >= 3x         %s\n", ps / fs, verdict(ps / fs >= 3)
  printf "frugal / pandas peak RSS   %7.2fx\n", fkb / pkb
}'
