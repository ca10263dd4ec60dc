#!/usr/bin/env bash
# Harvesting NLU training labels from user rephrasing, end to end, on real annotated data
# (xSID German by default; SLURP for English), one frugal command per step:
#
#   1. frugal harvest simulate: an assistant's interaction log. Carrier phrases of the
#      development split are divided into head and tail, an NLU is trained on the head, and
#      simulated users rephrase when it fails. (In production this log is yours.)
#   2. a labelled sample for the friction detector: the log's first turns with their `friction`
#      labels (in production: turns an annotator marked as failed or not);
#      frugal harvest train-friction learns from it.
#   3. frugal harvest synth-pairs + train-paraphrase: the paraphrase detector, from synthetic
#      pairs of the annotated development data.
#   4. frugal harvest run: pairing, friction, paraphrase, rephrase chains, label projection and
#      corroboration -> harvested.jsonl, annotated training examples no one labelled.
#   5. a check of the harvested labels against the simulator's truth (kept in the log as `truth`,
#      which frugal never reads).
#   6. frugal harvest project on two hand-written pairs: label projection on its own.
#   7. frugal harvest evaluate: the whole experiment (retrain the NLU with the harvested
#      examples, error before and after on the test split's head and tail utterances).
#
# Usage: examples/harvest.sh [--out-dir DIR] [--frugal PATH] [--data DIR] [--language de|it|en]
#                            [--quick]
# Environment (the options win): FRUGAL_EXAMPLE_DIR (default build/harvest under the
# repository), FRUGAL_BIN (default build/release/frugal), FRUGAL_DATA (default ../shared/data
# beside the repository), FRUGAL_EXAMPLE_QUICK=1 (smaller logs and no evaluate: the test's mode).
# Every command is printed before it runs.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${FRUGAL_EXAMPLE_DIR:-$repo/build/harvest}"
frugal="${FRUGAL_BIN:-$repo/build/release/frugal}"
data="${FRUGAL_DATA:-$(cd "$repo/.." && pwd)/shared/data}"
quick="${FRUGAL_EXAMPLE_QUICK:-0}"
language=de
python=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out-dir) out="$2"; shift 2 ;;
    --frugal) frugal="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --language) language="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "harvest.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$language" in
  en) train="$data/slurp/devel.jsonl" ;;
  de|it) train="$data/xsid/$language.valid.conll" ;;
  *) echo "harvest.sh: --language must be en, de or it" >&2; exit 2 ;;
esac
[[ -x "$frugal" ]] || { echo "harvest.sh: $frugal is not built (scripts/build release)" >&2; exit 2; }
[[ -f "$train" ]] || { echo "harvest.sh: $train not found (--data DIR)" >&2; exit 2; }

turns=150000
labelled=20000
if [[ "$quick" == 1 ]]; then turns=40000; labelled=8000; fi
mkdir -p "$out"
run() {
  echo "+ $*" | sed "s#$out/##g; s#$repo/##g"
  "$@"
}

echo "== 1. an interaction log ($language, $turns turns)"
run "$frugal" harvest simulate --data "$train" --language "$language" --turns "$turns" \
  --seed 1 --out "$out/log.jsonl"
echo
echo "== 2. the friction detector, from the first $labelled labelled turns"
head -n "$labelled" "$out/log.jsonl" > "$out/labelled.jsonl"
run "$frugal" harvest train-friction "$out/labelled.jsonl" --out "$out/friction.model"
echo
echo "== 3. the paraphrase detector, from synthetic pairs of the annotated data"
run "$frugal" harvest synth-pairs "$train" --out "$out/pairs.jsonl"
run "$frugal" harvest train-paraphrase "$out/pairs.jsonl" --out "$out/paraphrase.model"
echo
echo "== 4. harvest"
run "$frugal" harvest run "$out/log.jsonl" --paraphrase "$out/paraphrase.model" \
  --friction "$out/friction.model" --out "$out/harvested.jsonl" \
  --candidates "$out/candidates.jsonl"
echo
echo "== 5. the harvested labels against the simulator's truth"
"$python" - "$out/log.jsonl" "$out/harvested.jsonl" <<'PY'
import collections, json, sys, unicodedata

def key(tokens):
    return " ".join(unicodedata.normalize("NFC", t.casefold()) for t in tokens)

def annotation(record):
    return (record["intent"], tuple((s["type"], s["start"], s["end"]) for s in record["slots"]))

truths = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1], encoding="utf-8"):
    turn = json.loads(line)
    if turn["friction"]:
        truths[key(turn["truth"]["tokens"])][annotation(turn["truth"])] += 1
kept = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
right = sum(annotation(k) == truths[key(k["tokens"])].most_common(1)[0][0] for k in kept)
print(f"{len(kept)} harvested examples, {right} with the true intent and slots")
for k in kept[:5]:
    slots = ", ".join(f'{s["type"]}="{" ".join(k["tokens"][s["start"]:s["end"]])}"' for s in k["slots"])
    print(f'  {" ".join(k["tokens"])!r} -> {k["intent"]} [{slots}]'
          f' ({k["occurrences"]} occurrences, {k["users"]} users, agreement {k["agreement"]:.2f})')
PY
echo
echo "== 6. label projection on its own"
cat > "$out/project-pairs.jsonl" <<'JSONL'
{"id": "reordered", "source": {"tokens": ["wecke", "mich", "um", "sieben", "Uhr", "morgen"], "intent": "alarm/set_alarm", "slots": [{"type": "datetime", "start": 2, "end": 6}]}, "target": {"tokens": ["morgen", "um", "sieben", "uhr", "bitte", "wecken"]}}
{"id": "filler", "source": {"tokens": ["play", "the", "beatles"], "intent": "play_music", "slots": [{"type": "artist", "start": 1, "end": 3}]}, "target": {"tokens": ["put", "on", "the", "uh", "beatles"]}}
JSONL
run "$frugal" harvest project "$out/project-pairs.jsonl"
if [[ "$quick" != 1 ]]; then
  echo
  echo "== 7. the whole experiment: retrain, and errors before and after on the test split"
  run "$frugal" harvest evaluate --data-dir "$data" --language "$language"
fi
