"""Turning pandas DataFrames and mappings of NumPy arrays into what ``frugal._core`` reads.

Predictions go to the C++ table builder column by column (no text in between); labels and
model-update predictions are small or string-valued, so they are written as the CSV text the
CLI would read, and parsed by the same C++ readers: the same checks and the same messages.
The checks here are the ones a file cannot need: a dtype that is not a vote, NaN, columns of
different lengths.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np

try:  # pandas is optional: mappings of NumPy arrays work without it.
    import pandas as pd
except ImportError:  # pragma: no cover - Debian's python3-pandas is a dependency of the tests
    pd = None  # type: ignore[assignment]

from . import _core

#: Predictions or labels: a pandas DataFrame, or a mapping from column name to a 1-D array.
Columns = Union["pd.DataFrame", Mapping[str, Any]]

_RESERVED = ("id", "label", "content", "image")


def columns_of(data: Columns, what: str) -> dict[str, np.ndarray]:
    """The columns of ``data`` as 1-D NumPy arrays of equal length, ids included.

    A DataFrame's ids come from its ``id`` column, or else from its index when that is named
    ``id``.
    """
    if pd is not None and isinstance(data, pd.DataFrame):
        columns: dict[str, np.ndarray] = {}
        if "id" not in data.columns and data.index.name == "id":
            columns["id"] = data.index.to_numpy()
        for name in data.columns:
            if not isinstance(name, str):
                raise ValueError(f"{what}: column name {name!r} is not a string")
            columns[name] = data[name].to_numpy()
        return columns
    if isinstance(data, Mapping):
        columns = {}
        length = None
        for name, values in data.items():
            if not isinstance(name, str):
                raise ValueError(f"{what}: column name {name!r} is not a string")
            array = np.asarray(values)
            if array.ndim != 1:
                raise ValueError(
                    f"{what}: column {name!r} has shape {array.shape}; columns must be 1-D"
                )
            if length is not None and len(array) != length:
                raise ValueError(
                    f"{what}: column {name!r} has {len(array)} values, the first column "
                    f"has {length}; every column must have one value per item"
                )
            length = len(array)
            columns[name] = array
        return columns
    raise ValueError(
        f"{what} must be a pandas DataFrame or a mapping of column names to 1-D arrays, "
        f"not {type(data).__name__}"
    )


def _text_values(values: np.ndarray, name: str, what: str, *, allow_missing: bool) -> list[str]:
    """Strings as a CSV field would hold them: integers without a decimal point."""
    if values.dtype.kind in "iu":
        return [str(int(v)) for v in values]
    if values.dtype.kind == "b":
        return ["1" if v else "0" for v in values]
    if values.dtype.kind == "f":
        raise ValueError(
            f"{what}: column {name!r} holds floating-point numbers; ids and class names must "
            f"be strings or integers"
        )
    out: list[str] = []
    for row, value in enumerate(values.tolist()):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (bool, np.bool_)):
            out.append("1" if value else "0")
        elif isinstance(value, (int, np.integer)):
            out.append(str(int(value)))
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            if not allow_missing:
                raise ValueError(f"{what}: column {name!r} is missing a value at row {row}")
            out.append("")
        else:
            raise ValueError(
                f"{what}: column {name!r} at row {row} holds {value!r} "
                f"({type(value).__name__}); expected a string"
            )
    return out


def _votes(values: np.ndarray, name: str, ids: Sequence[str], what: str) -> np.ndarray:
    """0/1 votes as uint8; anything else is a ValueError naming the column, row and id."""

    def bad(row: int, value: Any) -> ValueError:
        shown = "NaN" if isinstance(value, float) and math.isnan(value) else repr(value)
        return ValueError(
            f"{what}: column {name!r}, row {row} (id {ids[row]!r}): {shown} is not a vote; "
            f"votes are 0/1, True/False or 'true'/'false'"
        )

    kind = values.dtype.kind
    if kind == "b":
        return values.astype(np.uint8)
    if kind in "iuf":
        if kind == "f":
            nan = np.flatnonzero(np.isnan(values))
            if len(nan):
                raise bad(int(nan[0]), float("nan"))
        wrong = np.flatnonzero((values != 0) & (values != 1))
        if len(wrong):
            row = int(wrong[0])
            raise bad(row, values[row].item())
        return values.astype(np.uint8)
    if kind == "O" or kind == "U":
        spelled = {"0": 0, "1": 1, "false": 0, "true": 1}
        out = np.empty(len(values), dtype=np.uint8)
        for row, value in enumerate(values.tolist()):
            if isinstance(value, (bool, np.bool_)):
                out[row] = 1 if value else 0
            elif isinstance(value, (int, np.integer)) and value in (0, 1):
                out[row] = int(value)
            elif isinstance(value, str) and value in spelled:
                out[row] = spelled[value]
            else:
                raise bad(row, value)
        return out
    raise ValueError(
        f"{what}: column {name!r} has dtype {values.dtype}; votes must be bool, integer "
        f"or float 0/1"
    )


def _gold_labels(values: np.ndarray, ids: Sequence[str], what: str) -> np.ndarray:
    """The optional gold ``label`` column: 0/1, or missing (-1)."""
    if values.dtype.kind in "biuf":  # vectorised: this column is as long as the data
        numbers = values.astype(np.float64)
        missing = np.isnan(numbers)
        wrong = np.flatnonzero(~missing & (numbers != 0) & (numbers != 1))
        if len(wrong) == 0:
            return np.where(missing, -1, numbers).astype(np.int8)
        values = values[wrong[:1]]
        ids = [ids[int(wrong[0])]]
        row_offset = int(wrong[0])
    else:
        row_offset = 0
    out = np.empty(len(values), dtype=np.int8)
    for row, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            out[row] = -1
        elif value in (0, 1, True, False, "0", "1", "true", "false"):
            out[row] = 1 if value in (1, True, "1", "true") else 0
        else:
            raise ValueError(
                f"{what}: column 'label', row {row + row_offset} (id {ids[row]!r}): {value!r} is not a "
                f"gold label; labels are 0/1 or missing"
            )
    return out


def parent_column_of(ensemble: str) -> str:
    return ensemble[len("column:") :] if ensemble.startswith("column:") else ""


def make_table(
    data: Columns,
    *,
    source: str,
    ensemble: str,
    models: Sequence[str] | None,
    keep_content: bool = False,
    what: str = "predictions",
) -> Any:
    """A ``_core.Table`` of predictions, read with the same column roles as the CLI."""
    columns = columns_of(data, what)
    header = list(columns)
    if "id" not in columns:
        raise ValueError(
            f'{what}: no "id" column (a DataFrame may also carry the ids as an index named "id")'
        )
    raw_ids = columns["id"]
    # Strings are checked one by one in C++ (fast); other dtypes are spelled as a CSV would.
    if raw_ids.dtype.kind == "O":
        ids = raw_ids.tolist()
    else:
        ids = _text_values(raw_ids, "id", what, allow_missing=False)
    parent = parent_column_of(ensemble)
    members = _core.member_columns(source, header, list(models or []), parent)
    converted: dict[str, Any] = {"id": ids}
    for name in list(members) + ([parent] if parent else []):
        converted[name] = _votes(columns[name], name, ids, what)
    if "label" in columns:
        converted["label"] = _gold_labels(columns["label"], ids, what)
    if keep_content and "content" in columns:
        converted["content"] = _text_values(columns["content"], "content", what, allow_missing=True)
    return _core.make_table(source, header, converted, list(models or []), parent, keep_content)


def _label_field(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))  # 1.0 from a pandas column with missing labels
    return str(value)


def csv_text(data: Columns, what: str, required: Sequence[str]) -> str:
    """``data`` as CSV text (RFC 4180, LF) with its columns in order, for the C++ readers."""
    columns = columns_of(data, what)
    for name in required:
        if name not in columns:
            raise ValueError(f"{what}: no {name!r} column")
    names = list(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    as_text = {}
    for name in names:
        values = columns[name]
        if name == "id":
            as_text[name] = _text_values(values, name, what, allow_missing=False)
        elif values.dtype.kind == "f" and not name.startswith("score_"):
            as_text[name] = [_label_field(v) for v in values.tolist()]
        elif values.dtype.kind == "f":
            as_text[name] = [repr(float(v)) for v in values.tolist()]
        else:
            as_text[name] = [_label_field(v) for v in values.tolist()]
    for row in zip(*(as_text[name] for name in names)):
        writer.writerow(row)
    return out.getvalue()
