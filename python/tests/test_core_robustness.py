"""The private module frugal._core must never abort or crash the interpreter: bad summaries
(from pickles, or merged with other settings) and bad fingerprint states are ValueErrors.
Each case runs in a subprocess, so that a crash fails its test instead of killing pytest."""

from __future__ import annotations

import subprocess
import sys

import pytest

SETUP = """
import pickle, struct
import numpy as np
from frugal import _core, _convert
def table(n, seed=1):
    rng = np.random.default_rng(seed)
    columns = {"id": [f"x{i}" for i in range(n)]}
    for m in ("m1", "m2", "m3"):
        columns[m] = (rng.random(n) < 0.6).astype(int)
    return _convert.make_table(columns, source="s", ensemble="majority", models=None)
def collect(n, margin):
    return _core.collect_candidates(table(n), "majority", margin, 0.95, 1, "")
NAMES = ["ensemble", "m1", "m2", "m3"]
def PLAN(c):  # what the client does with a merged summary
    _core.plan_from_candidates(c, [], "majority", 0.05, 0.95, 1, "", "s", "")
def u64(*values):
    return struct.pack("<%dQ" % len(values), *values)
"""

CASES = {
    "merge_other_set_counts": "_core.merge_candidates([_core.empty_candidates(NAMES, 0.05, 0.95, ''),"
    " _core.empty_candidates(['ensemble'], 0.05, 0.95, '')])",
    "merge_other_capacities": "_core.merge_candidates([collect(500, 0.2), collect(500, 0.05)])",
    "empty_candidates_without_sets": "_core.empty_candidates([], 0.05, 0.95, '')",
    "plan_at_a_narrower_margin": "_core.plan_from_candidates(collect(5000, 0.2), ['m1', 'm2', 'm3'],"
    " 'majority', 0.01, 0.95, 1, '', 's', '')",
    "fingerprint_garbage_state": "s = _core.fingerprint_start(['a']);"
    " _core.fingerprint_update(bytes([0xff]) * len(s), np.zeros(10, dtype=np.uint64))",
    "fingerprint_garbage_finish": "s = _core.fingerprint_start(['a']);"
    " _core.fingerprint_finish(bytes([0x7f]) * len(s))",
    "fingerprint_state_tampered_after_tag": "s = bytearray(_core.fingerprint_start(['a']));"
    " s[-300:] = bytes([0xff]) * 300; _core.fingerprint_update(bytes(s), np.zeros(4, np.uint64))",
    # items, sets, positives, capacities, patterns (a bit beyond the one set), one empty list
    "unpickle_pattern_beyond_the_sets": "c = _core.Candidates.__new__(_core.Candidates);"
    " c.__setstate__(u64(5, 1, 5, 10, 1, 1 << 40, 5, 0)); PLAN(c)",
    "unpickle_more_candidates_than_capacity": "c = _core.Candidates.__new__(_core.Candidates);"
    " c.__setstate__(u64(5, 1, 5, 1, 0, 2) + u64(1, 1) + b'a' + u64(2, 1) + b'b'); PLAN(c)",
    "unpickle_out_of_order": "c = _core.Candidates.__new__(_core.Candidates);"
    " c.__setstate__(u64(5, 1, 5, 9, 0, 2) + u64(9, 1) + b'a' + u64(2, 1) + b'b'); PLAN(c)",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_a_value_error_not_a_crash(name: str) -> None:
    code = SETUP + f"""
try:
    {CASES[name]}
except ValueError as error:
    print("ValueError:", error)
else:
    print("no error")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"rc {result.returncode}: {result.stderr[-600:]}"
    assert result.stdout.startswith("ValueError:"), result.stdout + result.stderr[-600:]


def test_candidates_survive_a_pickle_round_trip() -> None:
    code = SETUP + """
c = collect(800, 0.1)
again = pickle.loads(pickle.dumps(c))
print(pickle.dumps(again) == pickle.dumps(c), again.items, list(again.positives) == list(c.positives))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-600:]
    assert result.stdout.split() == ["True", "800", "True"]
