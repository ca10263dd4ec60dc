#!/usr/bin/env bash
# Backward-compatible embeddings (BCT, Shen et al. 2020) on real Fashion-MNIST, end to end:
#
#   1. frugal train: an OLD model (linear with a 32-wide embedding layer, half of the training
#      images) saved to old.pt, writing its embeddings of the 10,000 test images;
#   2. two NEW models (mlp with the same embedding width, all images): one trained on its own
#      (plain cross-entropy), one with --loss bct --old-model old.pt (the old model's frozen
#      head applied to the new embeddings);
#   3. frugal compat: retrieval top-1 and mAP of (old query, old gallery), (new, old) and
#      (new, new), each test image querying all the others, and whether the new embeddings can
#      search the old index: M(new, old) > M(old, old).
#
# Usage: examples/compatible_embeddings.sh [--out-dir DIR] [--frugal PATH] [--quick]
#        [--threads N] [--bct-weight L]
# Environment (the options win): FRUGAL_EXAMPLE_DIR (default build/compatible-embeddings),
# FRUGAL_BIN (default build/release/frugal), FRUGAL_EXAMPLE_QUICK=1 (small subsets, 1 epoch),
# FRUGAL_THREADS (torch threads, default 0 = all cores).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${FRUGAL_EXAMPLE_DIR:-$repo/build/compatible-embeddings}"
frugal="${FRUGAL_BIN:-$repo/build/release/frugal}"
quick="${FRUGAL_EXAMPLE_QUICK:-0}"
threads="${FRUGAL_THREADS:-0}"
bct_weight=3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out-dir) out="$2"; shift 2 ;;
    --frugal) frugal="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --threads) threads="$2"; shift 2 ;;
    --bct-weight) bct_weight="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compatible_embeddings.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$frugal" ]]; then
  echo "compatible_embeddings.sh: no frugal binary at $frugal (build it: scripts/build release," \
    "or pass --frugal PATH)" >&2
  exit 2
fi
frugal="$(cd "$(dirname "$frugal")" && pwd)/$(basename "$frugal")"
mkdir -p "$out"
cd "$out"

run() {
  local line
  line="$(printf '%q ' "$@")"
  echo "+ ${line% }"
  "$@"
}

if [[ "$quick" == 1 ]]; then
  old_data=(--train-subset 0.1 --epochs 1)
  new_data=(--train-subset 0.2 --epochs 2)
else
  old_data=(--train-subset 0.5 --epochs 2)
  new_data=(--epochs 5)
fi
common=(--embedding-dim 32 --threads "$threads")

echo "== 1. the old model: linear with a 32-wide embedding, half of the images"
run "$frugal" train --model linear "${common[@]}" "${old_data[@]}" --seed 1 \
  --out-model old.pt --embeddings-out old.csv
echo "== 2. new models: mlp, trained on its own and with BCT against old.pt"
run "$frugal" train --model mlp "${common[@]}" "${new_data[@]}" --seed 2 \
  --embeddings-out independent.csv
run "$frugal" train --model mlp "${common[@]}" "${new_data[@]}" --seed 2 \
  --loss bct --old-model old.pt --bct-weight "$bct_weight" --embeddings-out bct.csv
echo "== 3. can the new embeddings search the old index?"
echo "-- independently trained:"
run "$frugal" compat --query old.csv independent.csv --gallery old.csv independent.csv
echo "-- trained with BCT:"
run "$frugal" compat --query old.csv bct.csv --gallery old.csv bct.csv
