"""CSV text of a table, byte for byte what pandas writes, made with array operations.

``write_csv(frame, path)`` writes exactly the bytes of
``frame.to_csv(path, index=False, float_format="%.6f")``: numbers with six decimals, missing
values empty, text quoted only where CSV needs it. pandas formats every number with Python's
``%`` operator, one at a time (about 27 s for the contract table of 10,000 sites); here the
numbers are formatted as whole arrays (numpy for the arithmetic, Arrow's string kernels for
the text), and only the rare value whose sixth decimal is a near tie, or that is too large for
64-bit integers, goes through ``%`` itself.

Why the array arithmetic is exact: for a finite ``x``, ``whole = floor(|x|)`` and
``fraction = |x| - whole`` are exact in floating point, and ``fraction * 1e6`` is within
1.2e-10 of its exact value (half a unit in the last place below 1e6). Rounding it to the
nearest integer therefore gives the correctly rounded sixth decimal that ``%.6f`` prints,
unless the product lies that close to a half; those values are formatted with ``%``.

Text and dates (few distinct values, many rows) are rendered once per distinct value by
Python's `csv` module, the writer pandas itself uses, so quoting is the same by construction.
A column of any other kind sends the whole table through pandas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FLOAT_FORMAT = "%.6f"
"""The number format of the run folder's CSV files (the contract table, the event log)."""
ROWS_PER_CHUNK = 100_000
"""Rows formatted at a time: bounds the text held in memory, whatever the table's size."""
_TIE = 1e-7
"""How close to a half the scaled fraction may come before ``%`` decides (the arithmetic's
error is below 1.2e-10)."""
_EXACT_BELOW = 2.0**53
"""Magnitudes from here up are formatted with ``%`` (beyond int64, and no fraction anyway)."""
_TEXT_TYPES = {str, dt.date, type(None)}


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as ``frame.to_csv(path, index=False, float_format="%.6f")`` does."""
    if not vectorizable(frame):
        frame.to_csv(path, index=False, float_format=FLOAT_FORMAT)
        return
    with open(path, "wb") as out:
        out.write(_csv_line([str(c) for c in frame.columns]).encode("utf-8"))
        for start in range(0, len(frame), ROWS_PER_CHUNK):
            part = frame.iloc[start : start + ROWS_PER_CHUNK]
            columns = [_column_text(part[c]) for c in frame.columns]
            lines = pc.binary_join_element_wise(*columns, ",")
            lines = pc.binary_join_element_wise(lines, "", os.linesep)  # each line + newline
            out.write(_text_bytes(lines))


def vectorizable(frame: pd.DataFrame) -> bool:
    """Whether every column is of a kind formatted here (and the frame has the shape the
    line joining assumes: pandas writes a one-column row holding an empty value as ``""``)."""
    if len(frame.columns) < 2 or frame.columns.has_duplicates:
        return False
    if not all(isinstance(c, str) for c in frame.columns):
        return False
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.StringDtype | pd.Int64Dtype):
            continue
        if isinstance(dtype, np.dtype) and dtype in (np.float64, np.int64):
            continue
        if dtype == np.dtype(object) and set(map(type, frame[column].to_numpy())) <= _TEXT_TYPES:
            continue  # text, dates and None (exact types: no subclass renders differently)
        return False
    return True


def _column_text(series: pd.Series) -> pa.Array:
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        return float_text(series.to_numpy())
    if isinstance(dtype, np.dtype) and dtype == np.int64:
        return pc.cast(pa.array(series.to_numpy()), pa.string())
    if isinstance(dtype, pd.Int64Dtype):
        values = pa.array(
            series.to_numpy(dtype=np.int64, na_value=0), mask=series.isna().to_numpy()
        )
        return pc.fill_null(pc.cast(values, pa.string()), "")
    codes, uniques = pd.factorize(series)  # text and dates: few distinct values
    texts = [_csv_field(v) for v in uniques] + [""]  # code -1 (missing): the empty text
    return pa.array(texts, pa.string()).take(pa.array(np.where(codes >= 0, codes, len(uniques))))


def float_text(values: np.ndarray) -> pa.Array:
    """Each float as ``"%.6f" % value`` (NaN: the empty text, as pandas writes it)."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    finite = np.isfinite(values)
    size = np.abs(np.where(finite, values, 0.0))
    whole = np.floor(size)
    scaled = (size - whole) * 1e6
    sixth = np.floor(scaled + 0.5)
    slow = ~missing & (
        ~finite | (size >= _EXACT_BELOW) | (np.abs(scaled - np.floor(scaled) - 0.5) < _TIE)
    )
    carry = sixth >= 1e6
    whole = np.where(slow, 0.0, whole + carry).astype(np.int64)
    sixth = np.where(slow | carry, 0.0, sixth).astype(np.int64)
    sign = pc.if_else(pa.array(np.signbit(values)), "-", "")
    head = pc.binary_join_element_wise(sign, pc.cast(pa.array(whole), pa.string()), "")
    tail = pc.utf8_lpad(pc.cast(pa.array(sixth), pa.string()), 6, "0")
    text = pc.binary_join_element_wise(head, tail, ".")
    text = pc.if_else(pa.array(missing), "", text)
    if slow.any():
        exact = [FLOAT_FORMAT % v for v in values[slow]]
        text = pc.replace_with_mask(text, pa.array(slow), pa.array(exact, pa.string()))
    return text


def _csv_field(value: Any) -> str:
    """One value as pandas' CSV writer writes it in a row of several (quoted if needed)."""
    return _csv_line([value, ""])[: -1 - len(os.linesep)]  # drop the "," and the line end


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=os.linesep).writerow(values)
    return buffer.getvalue()


def _text_bytes(text: pa.Array) -> memoryview:
    """The UTF-8 bytes of a string array's values, back to back (no copy)."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)
    first, last = offsets[text.offset], offsets[text.offset + len(text)]
    data = text.buffers()[2]
    if data is None:  # every value empty
        return memoryview(b"")
    return memoryview(data)[first:last]
