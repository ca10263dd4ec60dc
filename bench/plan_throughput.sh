#!/usr/bin/env bash
# Throughput of `frugal plan --design coordinated` against bench/pandas_independent_plan.py
# (pandas + numpy, independent per-set sampling) on the same generated predictions file, timed
# in the same run. Each tool runs --runs times, interleaved so that a change in machine load
# hits both; reported: median wall time, MB/s (1 MB = 10^6 bytes of input), the largest
# resident set over the runs, and the ratios the targets are stated in.
#
#   bench/plan_throughput.sh [--items N] [--members M] [--runs R] [--scratch DIR] [--build DIR]
#                            [--wait-load L]
#
# --wait-load L: before timing, wait until the 1-minute load average is below L, checking every
# 30 s for up to 10 minutes, then measure anyway (the load is printed either way).
# Defaults: 10,000,000 items, 8 members, 3 runs, scratch /tmp/frugal-bench, build build/bench
# (cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRUGAL_BUILD_TESTS=OFF).
# The file is generated once per (items, members) and reused while present.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
items=10000000
members=8
runs=3
scratch=/tmp/frugal-bench
build=$root/build/bench
wait_load=
while [[ $# -gt 0 ]]; do
  case $1 in
    --items) items=$2; shift 2 ;;
    --members) members=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --wait-load) wait_load=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "plan_throughput.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

frugal=$build/frugal
generate=$build/bench/frugal_generate
python=/usr/bin/python3  # Debian's: the one that sees python3-pandas and python3-numpy
baseline=$root/bench/pandas_independent_plan.py
for tool in "$frugal" "$generate"; do
  [[ -x $tool ]] || { echo "plan_throughput.sh: $tool not built" >&2; exit 2; }
done

mkdir -p "$scratch"
pred=$scratch/pred-${items}x${members}.csv
if [[ ! -s $pred ]]; then
  echo "generating $pred ..." >&2
  "$generate" --items "$items" --members "$members" --seed 1 "$pred.tmp"
  mv "$pred.tmp" "$pred"
fi
bytes=$(stat -c %s "$pred")
work=$(mktemp -d "$scratch/run.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Both tools read a file that is already in the page cache: this measures the tools, not the
# disk.
cat "$pred" > /dev/null

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
    echo "plan_throughput.sh: $name failed:" >&2
    cat "$work/$name.err" >&2
    exit 1
  }
  cat "$work/time" >> "$work/$name.times"
}
for ((i = 1; i <= runs; ++i)); do
  run frugal "$frugal" plan "$pred" --design coordinated --seed 1 --out "$work/plan.json"
  run pandas "$python" "$baseline" "$pred" "$work/pandas_ids.txt" --seed 1
done
echo "load after:  $(uptime)"
grep '^distinct items' "$work/frugal.out" | sed 's/^/frugal: /'
grep 'distinct ids' "$work/pandas.err" | sed 's/^/pandas: /'
grep 'read_csv' "$work/pandas.err" | sed 's/^/pandas (last run): /'

median() { sort -g "$1" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
peak_kb() { awk '$2 > m { m = $2 } END { print m }' "$1"; }
frugal_s=$(median "$work/frugal.times")
pandas_s=$(median "$work/pandas.times")
frugal_kb=$(peak_kb "$work/frugal.times")
pandas_kb=$(peak_kb "$work/pandas.times")

awk -v bytes="$bytes" -v items="$items" -v members="$members" -v runs="$runs" \
    -v fs="$frugal_s" -v ps="$pandas_s" -v fkb="$frugal_kb" -v pkb="$pandas_kb" \
    -v ft="$(tr '\n' ' ' < "$work/frugal.times")" -v pt="$(tr '\n' ' ' < "$work/pandas.times")" '
function verdict(ok) { return ok ? "met" : "MISSED" }
BEGIN {
  mb = bytes / 1e6
  printf "\nfile: %.1f MB (%d bytes), %d items, %d members; %d runs each (seconds, KB per run)\n",
         mb, bytes, items, members, runs
  printf "  frugal runs: %s\n  pandas runs: %s\n\n", ft, pt
  printf "%-34s %9s %9s %14s\n", "tool", "median s", "MB/s", "peak RSS MB"
  printf "%-34s %9.2f %9.1f %14.1f\n", "frugal plan --design coordinated", fs, mb / fs, fkb * 1024 / 1e6
  printf "%-34s %9.2f %9.1f %14.1f\n", "pandas + numpy, independent", ps, mb / ps, pkb * 1024 / 1e6
  printf "\n"
  printf "frugal throughput          %7.1f MB/s   target >= 200 MB/s   %s\n", mb / fs, verdict(mb / fs >= 200)
  printf "pandas / frugal time       %7.2fx       target >= 3x         %s\n", ps / fs, verdict(ps / fs >= 3)
  printf "frugal peak RSS / file     %7.2fx       target < 2x          %s\n", fkb * 1024 / bytes, verdict(fkb * 1024 / bytes < 2)
  printf "pandas peak RSS / file     %7.2fx\n", pkb * 1024 / bytes
}'
