#!/usr/bin/env bash
# The harvest experiment of issue 8 point 7, per language: `frugal harvest evaluate` on the
# standard splits of ../shared/data (en: SLURP devel -> test; de, it: xSID valid -> test) at its
# defaults (150,000 turns, 500 users, Zipf s = 1, 30,000 labelled turns for the friction
# detector, default corroboration 10 / 0.8 / 3), one seed. Prints, per language, the wall time
# and the headline numbers: harvested-label precision (Wilson lower bound), yield, the detectors'
# held-out precision/recall, and the exact-match error before and after retraining on head and
# tail utterances with the relative reduction and its 95% bootstrap interval (errors are summed
# over 3 NLU trainings with different seeds per side, --nlu-seeds, so that one training's luck,
# about +-1% of the head errors on SLURP, does not pass for an effect), and the same for the
# hand-labelled baseline (as many random tail carriers with their true labels instead of the
# harvest, measured in the same run). Each language runs once,
# with --json; the whole report is kept in SCRATCH/evaluate-LANG.json and the lines below are
# printed from it.
#
#   bench/harvest_simulation.sh [--build DIR] [--data DIR] [--seed S] [--scratch DIR]
#                               [--languages "en de it"] [-- extra evaluate options]
#
# Defaults: build build/bench (cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release
# -DFRUGAL_BUILD_TESTS=OFF; then cmake --build build/bench --target frugal_cli), data
# ../shared/data beside the repository, seed 1, scratch /tmp/frugal-bench.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/bench
data=$(cd "$root/.." && pwd)/shared/data
seed=1
scratch=/tmp/frugal-bench
languages="en de it"
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --languages) languages=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--build DIR] [--data DIR] [--seed S] [--scratch DIR] [--languages L] [-- options]" >&2; exit 2 ;;
  esac
done
frugal=$build/frugal
[[ -x $frugal ]] || { echo "$frugal not built (cmake --build $build --target frugal_cli)" >&2; exit 2; }
mkdir -p "$scratch"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for language in $languages; do
  start=$(date +%s.%N)
  "$frugal" harvest evaluate --data-dir "$data" --language "$language" --seed "$seed" \
    "${extra[@]}" --json > "$scratch/evaluate-$language.json"
  end=$(date +%s.%N)
  python3 - "$scratch/evaluate-$language.json" "$language" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
language, seconds = sys.argv[2], float(sys.argv[4]) - float(sys.argv[3])
p, y, d, e = r["precision"], r["yield"], r["detectors"], r["errors"]
print(f"\n== {language}: {seconds:.1f} s wall; log {r['log']['turns']:,} turns; "
      f"bar {'met' if r['meets_bar'] else 'NOT met'}")
print(f"precision {p['correct']}/{p['kept']} = {p['precision']:.3f} (Wilson lower {p['wilson_lower']:.3f}); "
      f"yield {y['harvested_tail_utterances']}/{y['failed_tail_utterances']} failed tail utterances "
      f"[{y['tail_share_interval'][0]:.3f}, {y['tail_share_interval'][1]:.3f}], "
      f"{y['harvested_frequent_tail_utterances']}/{y['frequent_failed_tail_utterances']} of those said >= 10 times "
      f"[{y['frequent_tail_share_interval'][0]:.3f}, {y['frequent_tail_share_interval'][1]:.3f}]")
for name, m in d.items():
    (pl, ph), (rl, rh) = m["precision_interval"], m["recall_interval"]
    print(f"  {name:32} n={m['examples']:>7,}  P {m['precision']:.3f} [{pl:.3f}, {ph:.3f}]  "
          f"R {m['recall']:.3f} [{rl:.3f}, {rh:.3f}]")
def error_rows(errors):
    for name, c in errors.items():
        lo, hi = c["reduction_interval"]
        print(f"  {name:12} n={c['utterances']:>5}  error {c['error_before']:.3f} -> {c['error_after']:.3f}  "
              f"reduction {c['relative_reduction']:+.3f} [{lo:+.3f}, {hi:+.3f}]")
error_rows(e)
b = r.get("labelled_baseline")
if b:
    print(f"hand-labelled baseline: {b['utterances']} random tail carriers with their true labels instead of the harvest")
    error_rows(b["errors"])
PY
done
