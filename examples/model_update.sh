#!/usr/bin/env bash
# A model update checked for regressions, end to end, on real Fashion-MNIST (Debian's
# dataset-fashion-mnist, IDX files in /usr/share/datasets/fashion-mnist):
#
#   1. frugal train: an OLD model (linear, half of the training images) and a NEW one (mlp, all
#      of them; also a cnn with FRUGAL_EXAMPLE_CNN=1), each writing its test scores, and the
#      test set's true classes (--labels-out);
#   2. frugal flips: the update's flip metrics on the fully labelled test set (the truth, which
#      a real update does not have), per class, with an HTML drill-down;
#   3. frugal update size: how many labels certify an NFR budget;
#   4. frugal update plan: a labelling queue drawn from the disagreement set (plus a 10% share
#      of the agreement set), blind to both models' predictions;
#   5. "annotators" fill in the queue's label column from the true classes;
#   6. frugal update estimate: NFR, PFR and the accuracy change from those labels only, with a
#      certificate "NFR <= x", next to the truth of step 2;
#   7. frugal update gate: a release gate on the upper bounds, passing (exit 0) with a lenient
#      budget and failing (exit 1) with a strict one.
#
# Usage: examples/model_update.sh [--out-dir DIR] [--frugal PATH] [--quick] [--cnn] [--threads N]
# Environment (the options win):
#   FRUGAL_EXAMPLE_DIR     output directory (default build/model-update under the repository)
#   FRUGAL_BIN             the frugal binary (default build/release/frugal under the repository)
#   FRUGAL_EXAMPLE_QUICK=1 small training subsets and 1 epoch, for tests (about 10 s)
#   FRUGAL_EXAMPLE_CNN=1   also train a cnn and gate the linear -> cnn update
#   FRUGAL_THREADS         torch threads for training (default 0 = all cores)
# Every command is printed before it runs. Measured on 2 busy cores: about 16 s; with the cnn
# 2.5 to 3.5 minutes.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${FRUGAL_EXAMPLE_DIR:-$repo/build/model-update}"
frugal="${FRUGAL_BIN:-$repo/build/release/frugal}"
quick="${FRUGAL_EXAMPLE_QUICK:-0}"
cnn="${FRUGAL_EXAMPLE_CNN:-0}"
threads="${FRUGAL_THREADS:-0}"
python=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out-dir) out="$2"; shift 2 ;;
    --frugal) frugal="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --cnn) cnn=1; shift ;;
    --threads) threads="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "model_update.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$frugal" ]]; then
  echo "model_update.sh: no frugal binary at $frugal (build it: scripts/build release," \
    "or pass --frugal PATH)" >&2
  exit 2
fi
# Absolute, since the script works inside the output directory.
frugal="$(cd "$(dirname "$frugal")" && pwd)/$(basename "$frugal")"
mkdir -p "$out"
cd "$out"

# Prints a command (shell-quoted) and runs it; set -e stops the script if it fails.
run() {
  local line
  line="$(printf '%q ' "$@")"
  echo "+ ${line% }"
  "$@"
}

# run, with stdout into FILE: run_into FILE command...
run_into() {
  local file="$1"
  shift
  echo "+ $(printf '%q ' "$@")> $file"
  "$@" > "$file"
}

# run_into for a command whose exit code is known in advance (the failing gate): any other exit
# code stops the script. run_expecting CODE FILE command...
run_expecting() {
  local expected="$1" file="$2"
  shift 2
  echo "+ $(printf '%q ' "$@")> $file"
  local status=0
  "$@" > "$file" || status=$?
  if [[ "$status" != "$expected" ]]; then
    echo "model_update.sh: expected exit code $expected, got $status" >&2
    exit 1
  fi
  echo "(exit code $status, as expected)"
}

section() { printf '\n== %s\n' "$*"; }

# One line per check of a gate verdict (the JSON that `frugal update gate` prints).
show_gate() {
  "$python" - "$1" <<'PYTHON'
import json, sys

verdict = json.load(open(sys.argv[1]))
for check in verdict["checks"]:
    name = check["metric"] + (f" {check['class']}" if "class" in check else "")
    number = lambda x: "undefined" if x is None else f"{x:.4f}"
    print(f"  {name:<22} estimate {number(check['estimate'])}  upper bound {number(check['bound'])}  "
          f"limit {check['limit']:g}  {'pass' if check['passed'] else 'FAIL'}")
print(f"verdict: {verdict['verdict']}; failing classes: "
      f"{', '.join(verdict['failing_classes']) or 'none'}")
PYTHON
}

if [[ "$quick" == 1 ]]; then
  old_training=(--train-subset 0.025 --epochs 1)
  new_training=(--train-subset 0.05 --epochs 1)
  budget=200
else
  old_training=(--train-subset 0.5)
  new_training=()
  budget=500
fi
common=(--seed 1 --threads "$threads")

section "1. train the old and the new model; each writes its test scores"
run "$frugal" train --model linear "${old_training[@]}" "${common[@]}" \
  --predictions old.csv --labels-out labels.csv
run "$frugal" train --model mlp "${new_training[@]}" "${common[@]}" --predictions new.csv
if [[ "$cnn" == 1 ]]; then
  run "$frugal" train --model cnn "${new_training[@]}" "${common[@]}" --predictions cnn.csv
fi
echo "labels.csv (the test set's true classes):"
head -3 labels.csv
echo "old.csv (the old model's predictions and logits, cut to 100 characters):"
head -3 old.csv | cut -c1-100

section "2. the truth: flip metrics on the fully labelled test set"
run "$frugal" flips old.csv new.csv --labels labels.csv --by-class --html flips.html
run_into flips.json "$frugal" flips old.csv new.csv --labels labels.csv --by-class --json

section "3. how many labels would certify an NFR budget?"
# With no flip in the sample: what a harmless update would need.
run "$frugal" update size old.csv new.csv --certify 0.005
# With the flips this update really has (its NFR from step 2, which a real update does not
# know), 0.5% is out of reach: only a budget above the true NFR can be certified, here the true
# NFR plus a quarter, rounded up to a multiple of 0.005.
echo "+ true_nfr=<NFR in flips.json>; reachable=<ceil(1.25 true_nfr / 0.005) * 0.005>"
read -r true_nfr reachable < <("$python" -c '
import json, math
nfr = json.load(open("flips.json"))["metrics"]["nfr"]["value"]
print(round(nfr, 4), round(math.ceil(1.25 * nfr / 0.005) * 0.005, 3))')
run "$frugal" update size old.csv new.csv --certify 0.005 --assume-nfr "$true_nfr"
run "$frugal" update size old.csv new.csv --certify "$reachable" --assume-nfr "$true_nfr"

section "4. plan the labels: the disagreement set, plus 10% for the agreement set"
run "$frugal" update plan old.csv new.csv --budget "$budget" --seed 1 --agreement-share 0.1 \
  --out plan.json --queue queue.csv
echo "queue.csv (blind: neither model's prediction is shown):"
head -3 queue.csv

section "5. annotators label the queue (simulated: the true class from labels.csv)"
echo "+ fill queue.csv's label column from labels.csv > queue-labelled.csv"
"$python" - <<'PYTHON'
import csv

with open("labels.csv", newline="") as f:
    truth = {row["id"]: row["label"] for row in csv.DictReader(f)}
with open("queue.csv", newline="") as f:
    reader = csv.DictReader(f)
    fields = reader.fieldnames
    rows = list(reader)
for row in rows:
    row["label"] = truth[row["id"]]
with open("queue-labelled.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
print(f"{len(rows)} items labelled")
PYTHON

section "6. estimate from the queue's labels only, with a certificate"
run "$frugal" update estimate old.csv new.csv --plan plan.json --labels queue-labelled.csv \
  --html estimate.html
run_into estimate.json "$frugal" update estimate old.csv new.csv --plan plan.json \
  --labels queue-labelled.csv --json
echo "+ compare the estimate with the truth of step 2"
"$python" - <<'PYTHON'
import json

truth = json.load(open("flips.json"))["metrics"]["nfr"]
estimate = json.load(open("estimate.json"))
nfr = estimate["nfr"]
print(f"true NFR (all {json.load(open('flips.json'))['labelled']:,} labels): {truth['value']:.4f}; "
      f"estimate from {estimate['used']} labels: {nfr['value']:.4f} "
      f"[{nfr['lower']:.4f}, {nfr['upper']:.4f}]; {estimate['certificate']['text']}")
PYTHON

section "7. the release gate, on the upper bounds"
if [[ "$quick" == 1 ]]; then
  lenient=(--max-nfr 0.2 --max-class-nfr 0.9)
else
  lenient=(--max-nfr 0.05 --max-class-nfr 0.25)
fi
echo "-- a lenient budget passes:"
run_expecting 0 gate-pass.json "$frugal" update gate old.csv new.csv --plan plan.json \
  --labels queue-labelled.csv "${lenient[@]}"
show_gate gate-pass.json
echo "-- a strict budget (NFR <= 1%, every class <= 5%) fails with exit code 1:"
run_expecting 1 gate-fail.json "$frugal" update gate old.csv new.csv --plan plan.json \
  --labels queue-labelled.csv --max-nfr 0.01 --max-class-nfr 0.05
show_gate gate-fail.json

if [[ "$cnn" == 1 ]]; then
  section "linear -> cnn instead: flips and the lenient gate on the fully labelled test set"
  run "$frugal" flips old.csv cnn.csv --labels labels.csv
  status=0
  run_into gate-cnn.json "$frugal" update gate old.csv cnn.csv --labels labels.csv \
    "${lenient[@]}" || status=$?
  show_gate gate-cnn.json
  echo "(exit code $status: $([[ $status == 0 ]] && echo pass || echo fail))"
fi

section "outputs in $out"
ls -l
