"""frugal: evaluate and update classifiers with as few human labels as possible.

The Python face of the frugal C++ library. Each function does what one CLI command does, on
pandas DataFrames or mappings of NumPy arrays instead of files, and returns the dict that the
command prints with ``--json``: the same fields, the same numbers.

Predictions have one row per item: an ``id`` (a column, or a DataFrame index named ``id``), one
0/1 column per model, and optionally ``label`` (gold 0/1, for :func:`simulate`) and
``content``. Labels have ``id``, ``label`` and optionally ``annotator``.

Bad input raises :class:`ValueError` with the CLI's message (DESIGN.md §3 exit code 3).

Examples
--------
>>> import pandas as pd, frugal
>>> predictions = pd.read_csv("predictions.csv", dtype={"id": str})
>>> plan = frugal.plan(predictions, margin=0.05, seed=1)
>>> plan["queue"][:3]                      # the first items to send to annotators
>>> labels = pd.DataFrame({"id": plan["queue"], "label": annotate(plan["queue"])})
>>> frugal.estimate(predictions, plan, labels)["sets"]["ensemble"]["precision"]
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _core
from ._convert import Columns, csv_text, make_table

__all__ = [
    "Campaign",
    "DESIGNS",
    "estimate",
    "flips",
    "from_arrays",
    "plan",
    "simulate",
    "update_estimate",
    "update_plan",
    "__version__",
]

__version__: str = _core.version

#: The sampling designs of DESIGN.md §1.1, in the order ``frugal simulate`` runs them.
DESIGNS: tuple[str, ...] = ("independent", "coordinated", "paper-reshuffle", "paper-resample")
_INTERVALS = ("wilson", "clopper-pearson", "jeffreys", "agresti-coull", "hypergeometric")
_ESTIMATORS = ("sample-proportion", "post-stratified")
_INCLUSIVE = ("inclusive-hajek", "inclusive-post-stratified")

#: A plan: the dict :func:`plan` returns, a plan file's path, or its JSON text.
PlanLike = Union[Mapping[str, Any], str, "os.PathLike[str]"]


def _check_range(name: str, value: float, low: float, high: float) -> float:
    # The CLI's option checks (CLI11 ranges), so that Python refuses what the CLI refuses.
    if not isinstance(value, (int, float)) or not (low <= float(value) <= high):
        raise ValueError(f"{name} must be a number in [{low}, {high}], not {value!r}")
    return float(value)


def _check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2^64), not {seed!r}")
    return int(seed)


def _prior_text(prior_precision: Union[None, float, Mapping[str, float]]) -> str:
    if prior_precision is None:
        return ""
    if isinstance(prior_precision, Mapping):
        return ",".join(f"{name}={repr(float(p))}" for name, p in prior_precision.items())
    return repr(float(prior_precision))


def _plan_text(plan: PlanLike) -> tuple[str, str]:
    """(JSON text, name for messages) of a plan given as a dict, a path or JSON text."""
    if isinstance(plan, Mapping):
        return json.dumps(plan, indent=2), "<plan>"
    text = os.fspath(plan)
    if text.lstrip().startswith("{"):
        return text, "<plan>"
    with open(text, encoding="utf-8") as file:
        return file.read(), text


def from_arrays(
    ids: Sequence[Any],
    votes: np.ndarray,
    models: Sequence[str],
    *,
    label: Optional[np.ndarray] = None,
) -> dict[str, np.ndarray]:
    """Predictions as a mapping of columns from an ``(items, models)`` vote matrix.

    Parameters
    ----------
    ids : sequence of str or int
        One unique id per item.
    votes : numpy.ndarray
        Shape ``(len(ids), len(models))``, 0/1 (bool, integer or float without NaN).
    models : sequence of str
        The model names, one per column of ``votes``.
    label : numpy.ndarray, optional
        Gold 0/1 labels (NaN = missing), used by :func:`simulate`.

    Returns
    -------
    dict
        ``{"id": ..., model: votes[:, j], ..., "label": ...}``, accepted wherever predictions
        are.
    """
    matrix = np.asarray(votes)
    ids_array = np.asarray(ids, dtype=object)
    if matrix.ndim != 2:
        raise ValueError(f"votes must be a 2-D array (items x models), not shape {matrix.shape}")
    if matrix.shape != (len(ids_array), len(models)):
        raise ValueError(
            f"votes has shape {matrix.shape}, but there are {len(ids_array)} ids and "
            f"{len(models)} models"
        )
    columns: dict[str, np.ndarray] = {"id": ids_array}
    for j, name in enumerate(models):
        if name in columns:
            raise ValueError(f"model {name!r} is named twice (or is named 'id')")
        columns[name] = matrix[:, j]
    if label is not None:
        gold = np.asarray(label)
        if gold.shape != (len(ids_array),):
            raise ValueError(f"label has shape {gold.shape}, expected ({len(ids_array)},)")
        columns["label"] = gold
    return columns


def plan(
    predictions: Columns,
    *,
    margin: float = 0.05,
    confidence: float = 0.95,
    seed: int = 1,
    design: str = "coordinated",
    ensemble: str = "majority",
    models: Optional[Sequence[str]] = None,
    prior_precision: Union[None, float, Mapping[str, float]] = None,
    source: str = "<predictions>",
) -> dict[str, Any]:
    """Sample sizes per set and the items to annotate: ``frugal plan``.

    Parameters
    ----------
    predictions : pandas.DataFrame or mapping of str to array
        ``id`` and one 0/1 column per model (see the module docstring).
    margin, confidence : float
        Every set's precision to +-``margin`` at ``confidence`` (Cochran with finite-population
        correction).
    seed : int
        Seed of the permanent priorities (coordinated) or the random draws.
    design : {"coordinated", "independent", "paper-reshuffle", "paper-resample"}
    ensemble : str
        The parent's rule: ``majority``, ``any``, ``all``, ``atleast:K``, ``column:NAME`` or
        ``weighted:NAME=W,...,threshold=T``.
    models : sequence of str, optional
        Model columns to use as members (default: every other column).
    prior_precision : float or mapping of set name to float, optional
        Expected precision replacing p = 0.5 in the sample size.
    source : str
        Name of the predictions in messages and in the plan's ``predictions.file``.

    Returns
    -------
    dict
        The plan file's content (``frugal plan --json``): settings, fingerprint, per-set
        ``positives``, ``sample_size``, ``threshold_priority``, ``sample``, and the ``queue``.

    Raises
    ------
    ValueError
        Bad predictions or settings, with the CLI's message.
    """
    margin = _check_range("margin", margin, 1e-6, 0.999999)
    confidence = _check_range("confidence", confidence, 0.5, 0.999999)
    _check_choice("design", design, DESIGNS)
    table = make_table(predictions, source=source, ensemble=ensemble, models=models)
    text = _core.plan(
        table, ensemble, margin, confidence, _check_seed(seed), design, _prior_text(prior_precision)
    )
    return json.loads(text)


def estimate(
    predictions: Columns,
    plan: PlanLike,
    labels: Columns,
    *,
    interval: str = "wilson",
    estimator: str = "sample-proportion",
    rule: Optional[str] = None,
    source: Optional[str] = None,
    labels_source: str = "<labels>",
) -> dict[str, Any]:
    """Precision of every set with intervals, from the labels of a plan's items:
    ``frugal estimate``.

    Parameters
    ----------
    predictions : pandas.DataFrame or mapping of str to array
        The predictions the plan was made from (checked by fingerprint and by redrawing).
    plan : dict, path or JSON text
        What :func:`plan` returned, or a plan file.
    labels : pandas.DataFrame or mapping of str to array
        ``id``, ``label`` (0/1; missing = not yet) and optionally ``annotator``.
    interval : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull", "hypergeometric"}
    estimator : {"sample-proportion", "post-stratified", "inclusive-hajek",
                 "inclusive-post-stratified"}
    rule : str, optional
        What-if: the precision of another ensemble rule from the same labels.
    source : str, optional
        Name of the predictions in messages (default: the plan's ``predictions.file``).
    labels_source : str
        Name of the labels in messages.

    Returns
    -------
    dict
        ``frugal estimate --json``: ``labels`` counts and, per set, ``precision``, ``lower``,
        ``upper``, ``labelled``, ``status``.
    """
    _check_choice("interval", interval, _INTERVALS)
    _check_choice("estimator", estimator, _ESTIMATORS + _INCLUSIVE)
    plan_text, plan_source = _plan_text(plan)
    document = json.loads(plan_text)
    try:
        models = list(document["models"])
        ensemble = str(document["ensemble"])
        default_source = str(document["predictions"]["file"])
    except (KeyError, TypeError):
        raise ValueError(f"{plan_source}: not a plan (no models, ensemble or predictions)")
    table = make_table(
        predictions,
        source=default_source if source is None else source,
        ensemble=ensemble,
        models=models,
    )
    labels_text = csv_text(labels, "labels", ("id", "label"))
    text = _core.estimate(
        table, plan_text, plan_source, labels_text, labels_source, interval, estimator, rule or ""
    )
    return json.loads(text)


def simulate(
    predictions: Columns,
    *,
    trials: int = 1000,
    designs: Sequence[str] = DESIGNS,
    margin: float = 0.05,
    confidence: float = 0.95,
    seed: int = 1,
    ensemble: str = "majority",
    models: Optional[Sequence[str]] = None,
    prior_precision: Union[None, float, Mapping[str, float]] = None,
    interval: str = "wilson",
    estimator: str = "sample-proportion",
    threads: int = 0,
    source: str = "<predictions>",
) -> dict[str, Any]:
    """Compare sampling designs by Monte Carlo, the gold ``label`` column standing in for
    annotators: ``frugal simulate``.

    Parameters
    ----------
    predictions : pandas.DataFrame or mapping of str to array
        Must have a ``label`` column (gold 0/1).
    trials : int
        Monte Carlo trials per design (1 to 10,000,000).
    designs : sequence of str
        Designs to compare (default: all four).
    margin, confidence, seed, ensemble, models, prior_precision
        As for :func:`plan`.
    interval, estimator : str
        As for :func:`estimate` (sample-proportion or post-stratified).
    threads : int
        Worker threads (0 = all cores); the result does not depend on it.

    Returns
    -------
    dict
        ``frugal simulate --json``: per set ``positives``, ``sample_size``, ``precision``; per
        design ``mean_annotations``, ``savings_vs_naive`` and per-set bias, rmse, coverage.
    """
    margin = _check_range("margin", margin, 1e-6, 0.999999)
    confidence = _check_range("confidence", confidence, 0.5, 0.999999)
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or not (
        1 <= trials <= 10_000_000
    ):
        raise ValueError(f"trials must be an integer in [1, 10000000], not {trials!r}")
    for design in designs:
        _check_choice("design", design, DESIGNS)
    _check_choice("interval", interval, _INTERVALS)
    _check_choice("estimator", estimator, _ESTIMATORS)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads must be an integer >= 0, not {threads!r}")
    table = make_table(predictions, source=source, ensemble=ensemble, models=models)
    text = _core.simulate(
        table,
        ensemble,
        margin,
        confidence,
        _check_seed(seed),
        _prior_text(prior_precision),
        int(trials),
        list(designs),
        interval,
        estimator,
        threads,
    )
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# Model updates (DESIGN.md §1.2)


def _model_text(data: Columns, what: str) -> str:
    return csv_text(data, what, ("id", "prediction"))


def flips(
    old: Columns,
    new: Columns,
    labels: Columns,
    *,
    confidence: float = 0.95,
    by_class: bool = False,
    sources: tuple[str, str, str] = ("<old>", "<new>", "<labels>"),
) -> dict[str, Any]:
    """Flip metrics of a model update on labelled items: ``frugal flips``.

    Parameters
    ----------
    old, new : pandas.DataFrame or mapping of str to array
        Each model's predictions: ``id``, ``prediction`` (a class name), optional
        ``score_<class>`` columns.
    labels : pandas.DataFrame or mapping of str to array
        ``id``, ``label`` (the true class name), optional ``annotator``.
    confidence : float
        Confidence of the intervals.
    by_class : bool
        Also the metrics per true class and per old prediction.
    sources : (str, str, str)
        Names of old, new and labels in messages and in the result.

    Returns
    -------
    dict
        ``frugal flips --json``: NFR, PFR, NFI, PFI, BTC, BEC, churn... each with ``value``,
        ``lower``, ``upper``.
    """
    confidence = _check_range("confidence", confidence, 0.5, 0.999999)
    text = _core.flips(
        _model_text(old, "old predictions"),
        sources[0],
        _model_text(new, "new predictions"),
        sources[1],
        csv_text(labels, "labels", ("id", "label")),
        sources[2],
        confidence,
        bool(by_class),
    )
    return json.loads(text)


def update_plan(
    old: Columns,
    new: Columns,
    *,
    budget: int,
    seed: int = 1,
    agreement_share: float = 0.0,
    stratify: str = "none",
    sources: tuple[str, str] = ("<old>", "<new>"),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Which items to label to estimate NFR from the disagreement set: ``frugal update plan``.

    Parameters
    ----------
    old, new : pandas.DataFrame or mapping of str to array
        As for :func:`flips`.
    budget : int
        Labels to spend.
    seed : int
        Seed of the draws.
    agreement_share : float
        Share of the budget for the agreement stratum (serves NFI, BTC and BEC), in [0, 1).
    stratify : {"none", "pair"}
        Stratify the disagreements by (old, new) class pair.

    Returns
    -------
    (dict, dict)
        The ``--json`` summary, and the plan file's content (pass it to
        :func:`update_estimate`).
    """
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValueError(f"budget must be an integer >= 1, not {budget!r}")
    agreement_share = _check_range("agreement_share", agreement_share, 0.0, 0.999999)
    _check_choice("stratify", stratify, ("none", "pair"))
    summary, plan_text = _core.update_plan(
        _model_text(old, "old predictions"),
        sources[0],
        _model_text(new, "new predictions"),
        sources[1],
        int(budget),
        _check_seed(seed),
        agreement_share,
        stratify,
    )
    return json.loads(summary), json.loads(plan_text)


def update_estimate(
    old: Columns,
    new: Columns,
    plan: PlanLike,
    labels: Columns,
    *,
    confidence: float = 0.95,
    sources: tuple[str, str, str] = ("<old>", "<new>", "<labels>"),
) -> dict[str, Any]:
    """NFR, PFR and the accuracy change with intervals from a disagreement plan's labels, the
    exact McNemar test and a certificate "NFR <= x": ``frugal update estimate``.

    Parameters
    ----------
    old, new : pandas.DataFrame or mapping of str to array
        As for :func:`flips`.
    plan : dict, path or JSON text
        The plan of :func:`update_plan` (its second result) or ``frugal update plan --out``.
    labels : pandas.DataFrame or mapping of str to array
        ``id``, ``label`` (true class name), optional ``annotator``.
    confidence : float
        Confidence of the intervals and the certificate.

    Returns
    -------
    dict
        ``frugal update estimate --json``.
    """
    confidence = _check_range("confidence", confidence, 0.5, 0.999999)
    plan_text, plan_source = _plan_text(plan)
    text = _core.update_estimate(
        _model_text(old, "old predictions"),
        sources[0],
        _model_text(new, "new predictions"),
        sources[1],
        plan_text,
        plan_source,
        csv_text(labels, "labels", ("id", "label")),
        sources[2],
        confidence,
    )
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# Campaigns


class Campaign:
    """An annotation campaign made by ``frugal campaign init``: sequential labelling in
    priority order until every set's precision is known to the margin.

    Parameters
    ----------
    path : str or os.PathLike
        The campaign's SQLite file.

    Examples
    --------
    >>> campaign = frugal.Campaign("campaign.db")
    >>> batch = campaign.next(20)                  # {"finished": False, "items": [...]}
    >>> campaign.label({"id": [i["id"] for i in batch["items"]], "label": answers})
    >>> campaign.status()["sets"]
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self._handle = _core.Campaign(os.fspath(path))

    @property
    def path(self) -> str:
        """The campaign file."""
        return str(self._handle.path)

    def next(self, batch: int = 20) -> dict[str, Any]:
        """The next items to label: ``frugal next --json``.

        Returns
        -------
        dict
            ``{"finished": bool, "items": [{"id", "sets", "content"?, "tied"?}, ...]}``
        """
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
            raise ValueError(f"batch must be an integer >= 1, not {batch!r}")
        return json.loads(self._handle.next(int(batch)))

    def label(self, labels: Columns, *, source: str = "<labels>") -> dict[str, Any]:
        """Stores labels (``id``, ``label`` 0/1 or missing, optional ``annotator``):
        ``frugal label --json``.

        Returns
        -------
        dict
            ``import``, ``records``, ``added``, ``repeated``, ``unrequested``, ``finished``.
        """
        return json.loads(self._handle.label(csv_text(labels, "labels", ("id", "label")), source))

    def status(self, *, rule: Optional[str] = None) -> dict[str, Any]:
        """Progress and estimates: ``frugal status --json`` (with a what-if ``rule``)."""
        return json.loads(self._handle.status(rule or ""))

    def __repr__(self) -> str:
        return f"Campaign({self.path!r})"
