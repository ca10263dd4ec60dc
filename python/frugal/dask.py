"""Coordinated plans over a Dask DataFrame: the same plan, item for item, as ``frugal plan`` on
the concatenated data, computed where the partitions live.

A coordinated sample is the bottom-n of each set on a permanent hash priority, and bottom-k
samples merge exactly (Cohen & Kaplan 2007). Each partition therefore computes, in C++, its
candidates per set (at most Cochran's n for an infinite population, plus one), its set sizes
under the ensemble rule and its membership pattern counts; a tree reduction merges them; the
client turns the merged summary into the plan. The predictions' fingerprint is a hash over the
rows in order, so it is carried from partition to partition as a small hash state (16 bytes of
each row travel, not the rows).

Ids must be unique across the whole DataFrame, as in a predictions file: duplicates within a
partition are refused with the CLI's message, and duplicates across partitions through buckets
of 8-byte id hashes (``check_ids=True``, the default).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _core
from . import _check_choice, _check_range, _check_seed, _INTERVALS, _plan_text, _prior_text
from ._convert import _text_values, columns_of, csv_text, make_table, parent_column_of

__all__ = ["plan", "estimate"]

try:
    import dask
    import dask.dataframe as dd
except ImportError as error:  # pragma: no cover
    raise ImportError("frugal.dask needs Dask (Debian: python3-dask python3-distributed)") from error


def _partition(
    frame: Any,
    source: str,
    ensemble: str,
    models: list[str],
    set_names: list[str],
    margin: float,
    confidence: float,
    seed: int,
    prior: str,
    with_records: bool,
    buckets: int,
) -> tuple[Any, ...]:
    """One partition: its candidates, the rows' fingerprint records (16 bytes a row), and its
    id hashes split into `buckets` sorted arrays by hash modulo `buckets`."""
    empty = np.empty(0, dtype=np.uint64)
    if len(frame) == 0:
        return (_core.empty_candidates(set_names, margin, confidence, prior), empty) + (
            (empty,) * buckets
        )
    table = make_table(frame, source=source, ensemble=ensemble, models=models)
    candidates = _core.collect_candidates(table, ensemble, margin, confidence, seed, prior)
    if not with_records and buckets == 0:
        return (candidates, empty)
    records = _core.fingerprint_records(table)
    hashes = records[0::2]
    split = hashes % np.uint64(max(buckets, 1))
    parts = tuple(np.sort(hashes[split == j]) for j in range(buckets))
    return (candidates, records if with_records else empty) + parts


def _merge(parts: list[Any]) -> Any:
    # The candidates carry their capacities: merging needs no settings.
    return _core.merge_candidates(parts)


def _chain(state: bytes, records: np.ndarray) -> bytes:
    return _core.fingerprint_update(state, records)


def _repeated_hashes(*parts: np.ndarray) -> np.ndarray:
    """Hashes that occur more than once in one bucket of every partition (usually none)."""
    hashes = np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)
    return np.unique(hashes[1:][hashes[1:] == hashes[:-1]])


def _rows_with_hashes(frame: Any, wanted: np.ndarray) -> list[tuple[int, str]]:
    """(row in the partition, id) of the rows whose id hash is in `wanted`."""
    if len(frame) == 0:
        return []
    ids = frame.index.to_numpy() if "id" not in frame.columns else frame["id"].to_numpy()
    ids = [str(i) if not isinstance(i, str) else i for i in ids.tolist()]
    hits = np.flatnonzero(np.isin(_core.hash_ids(ids), wanted))
    return [(int(row), ids[row]) for row in hits]


def _check_unique_ids(partitions: list[Any], repeated: np.ndarray, source: str) -> None:
    """Raises the duplicate that the hashes point to, naming both rows; hash collisions of
    different ids (about one in 10^8 at 50 million rows) are not duplicates."""
    lengths = dask.compute(*[dask.delayed(len)(frame) for frame in partitions])
    found = dask.compute(*[dask.delayed(_rows_with_hashes)(frame, repeated)
                           for frame in partitions])
    first_row: dict[str, int] = {}
    offset = 0
    for hits, length in zip(found, lengths):
        for row, item in hits:
            # Data row i (0-based) is line i + 2 of the concatenated file, as in the CLI.
            line = offset + row + 2
            if item in first_row:
                raise ValueError(
                    f'{source}:{line}:1: duplicate id "{item}" (first seen on line '
                    f"{first_row[item]})"
                )
            first_row[item] = line
        offset += length


def plan(
    ddf: "dd.DataFrame",
    *,
    margin: float = 0.05,
    confidence: float = 0.95,
    seed: int = 1,
    ensemble: str = "majority",
    models: Optional[Sequence[str]] = None,
    prior_precision: Union[None, float, Mapping[str, float]] = None,
    source: str = "<dask>",
    split_every: int = 8,
    fingerprint: bool = True,
    check_ids: bool = True,
) -> dict[str, Any]:
    """A coordinated plan over a Dask DataFrame of predictions.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Predictions, partitioned in file order: ``id``, one 0/1 column per model, optional
        ``label``/``content``/``image`` (ignored). Read ids as strings (``dtype={"id": str}``).
    margin, confidence, seed, ensemble, models, prior_precision
        As for :func:`frugal.plan`; the design is always ``coordinated``.
    source : str
        The plan's ``predictions.file``, and the name in messages.
    split_every : int
        Fan-in of the tree reduction.
    fingerprint : bool
        Compute the predictions' fingerprint (a chain over the partitions in order, fed with
        16 bytes a row that each partition task hands over; the scans still run in parallel).
        Without it the plan's fingerprint is empty and ``frugal estimate`` refuses the plan.
    check_ids : bool
        Refuse an id that occurs in two partitions, as the CLI refuses a duplicate line: each
        partition hands over its 8-byte id hashes in buckets, one task per bucket looks for a
        repeat (duplicates within a partition are always refused). With ``False`` a duplicate
        across partitions is counted as two items and may appear twice in a set's sample; the
        fingerprint is then of data no valid file holds, so ``frugal estimate`` refuses the plan.

    Returns
    -------
    dict
        The plan, equal to ``frugal plan --design coordinated --json`` on the concatenated
        partitions (with ``source`` as the file name).

    Raises
    ------
    ValueError
        Bad predictions (in any partition) or settings, with the CLI's message. Line numbers
        in messages about a row count within its partition, except for duplicates across
        partitions, which count in the whole DataFrame.
    """
    margin = _check_range("margin", margin, 1e-6, 0.999999)
    confidence = _check_range("confidence", confidence, 0.5, 0.999999)
    seed = _check_seed(seed)
    if not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"split_every must be an integer >= 2, not {split_every!r}")
    prior = _prior_text(prior_precision)
    header = list(ddf.columns)
    if "id" not in header and ddf.index.name == "id":
        header = ["id"] + header
    if "id" not in header:
        raise ValueError('predictions: no "id" column (or index named "id")')
    members = list(
        _core.member_columns(source, header, list(models or []), parent_column_of(ensemble))
    )
    set_names = ["ensemble"] + members
    # Check the settings on the client, before any partition is read.
    _core.empty_candidates(set_names, margin, confidence, prior)

    partitions = ddf.to_delayed()
    buckets = min(len(partitions), 16) if check_ids and len(partitions) > 1 else 0
    state: Any = _core.fingerprint_start(members)
    parts = []
    by_bucket: list[list[Any]] = [[] for _ in range(buckets)]
    for frame in partitions:
        outputs = dask.delayed(_partition, nout=2 + buckets, pure=True)(
            frame, source, ensemble, members, set_names, margin, confidence, seed, prior,
            fingerprint, buckets,
        )
        parts.append(outputs[0])
        if fingerprint:
            state = dask.delayed(_chain, pure=True)(state, outputs[1])
        for j in range(buckets):
            by_bucket[j].append(outputs[2 + j])
    repeats = [dask.delayed(_repeated_hashes, pure=True)(*bucket) for bucket in by_bucket]
    while len(parts) > 1:
        parts = [
            dask.delayed(_merge, pure=True)(parts[i : i + split_every])
            for i in range(0, len(parts), split_every)
        ]
    merged, final_state, repeated = dask.compute(parts[0], state, repeats)
    if any(len(r) for r in repeated):
        _check_unique_ids(partitions, np.concatenate(repeated), source)
    hex_fingerprint = _core.fingerprint_finish(final_state) if fingerprint else ""
    text = _core.plan_from_candidates(
        merged, members, ensemble, margin, confidence, seed, prior, source, hex_fingerprint
    )
    return json.loads(text)


_plan_over_dask = plan  # estimate's `plan` argument hides the function


def estimate(
    ddf: "dd.DataFrame",
    plan: Union[Mapping[str, Any], str],
    labels: Any,
    *,
    interval: str = "wilson",
    estimator: str = "sample-proportion",
    labels_source: str = "<labels>",
    split_every: int = 8,
) -> dict[str, Any]:
    """Precision of every set from a coordinated plan's labels, with the predictions in Dask.

    The plan is first checked against the predictions as ``frugal estimate`` checks it: the
    plan is made again with its own settings (one pass over the partitions) and must have the
    same fingerprint and samples. A set's sample-proportion estimate then needs only its
    sample's labels and its number of positives, both taken from the plan made again (as the
    CLI takes them from the predictions), never from the file's other fields.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The predictions the plan was made from, in the same order.
    plan : dict, path or JSON text
        A coordinated plan (:func:`plan` or ``frugal plan``).
    labels : dask.dataframe.DataFrame, pandas.DataFrame or mapping of str to array
        ``id``, ``label`` (0/1; missing = not yet), optional ``annotator``. Labels are human
        annotations, so they are gathered on the client; their ids outside the plan's queue
        are looked up in ``ddf`` (one more pass) so that an unknown id is refused as the CLI
        refuses it.
    interval : str
        As for :func:`frugal.estimate`.
    estimator : {"sample-proportion"}
        Only the sample proportion: the other estimators need every item's vote counts or
        priorities; use :func:`frugal.estimate` on one machine for them.

    Returns
    -------
    dict
        Equal to ``frugal estimate --json`` on the concatenated predictions.
    """
    _check_choice("interval", interval, _INTERVALS)
    if estimator != "sample-proportion":
        raise ValueError(
            f"frugal.dask.estimate computes the sample-proportion estimator only, not "
            f"{estimator!r}: the others need every item's votes or priorities; use "
            f"frugal.estimate on one machine"
        )
    plan_text, plan_source = _plan_text(plan)
    document = json.loads(plan_text)
    if document.get("design") != "coordinated":
        raise ValueError(
            f"{plan_source}: frugal.dask.estimate needs a coordinated plan; this plan's design "
            f"is {document.get('design')}"
        )
    sets = document["sets"]
    # The plan again, with the plan's own settings (as `frugal estimate` redraws it).
    again = _plan_over_dask(
        ddf,
        margin=document["margin"],
        confidence=document["confidence"],
        seed=document["seed"],
        ensemble=document["ensemble"],
        models=document["models"],
        prior_precision={entry["name"]: float(entry["prior_precision"]) for entry in sets},
        source=document["predictions"]["file"],
        split_every=split_every,
    )
    if again["predictions"]["fingerprint"] != document["predictions"]["fingerprint"]:
        raise ValueError(
            f"{plan_source}: the plan was made from other predictions "
            f"({document['predictions']['file']}, fingerprint "
            f"{document['predictions']['fingerprint']}) than these (fingerprint "
            f"{again['predictions']['fingerprint']})"
        )
    if len(sets) != len(again["sets"]):
        raise ValueError(f"{plan_source}: the plan's sets are not the predictions' sets")
    for entry, redrawn in zip(sets, again["sets"]):
        if entry["name"] != redrawn["name"] or entry["sample"] != redrawn["sample"]:
            raise ValueError(
                f"{plan_source}: the sample of set \"{entry['name']}\" is not the one design "
                f"{document['design']} with seed {document['seed']} draws from "
                f"{document['predictions']['file']}: the plan was edited, or its seed or design "
                f"does not match these predictions"
            )

    if isinstance(labels, dd.DataFrame):
        labels = labels.compute()
    labels_text = csv_text(labels, "labels", ("id", "label"))
    label_ids = set(_text_values(columns_of(labels, "labels")["id"], "id", "labels",
                                 allow_missing=False))
    # From here on the plan is the one just made, not the file: like `frugal estimate`, which
    # takes N_s (the finite-population correction) from the predictions, so an edited count of
    # positives in the file changes nothing.
    plan_text = json.dumps(again)
    queue = list(again["queue"])
    outside = sorted(label_ids.difference(queue))
    known: list[str] = []
    if outside:
        ids = ddf["id"] if "id" in ddf.columns else ddf.index.to_series()
        wanted = set(outside)
        found = ids[ids.astype(str).isin(wanted)].compute()
        known = sorted(set(str(i) for i in found.tolist()))
    text = _core.estimate_from_plan(
        plan_text, plan_source, queue + known, labels_text, labels_source, interval
    )
    return json.loads(text)
