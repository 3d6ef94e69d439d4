"""Building frames from numpy columns without pandas' text inference."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plain_frame(columns: dict[str, np.ndarray], index: pd.Index | None = None,
                series: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """A frame of numpy columns (and ``series`` as they are, aligned to ``index``). Object
    arrays stay object: pandas 3 would infer its ``str`` dtype, which hashes, groups and sorts
    about half as fast and turns None into NaN.

    The columns become blocks as they are (pandas' ``_from_arrays`` without its checks, as
    ``DataFrame.from_records`` uses it): a third of the time that a dict of Series takes,
    which counts in every territory file of a consolidation."""
    index = index if index is not None else pd.RangeIndex(len(next(iter(columns.values()))))
    arrays = [np.asarray(v) for v in columns.values()]
    if any(len(a) != len(index) or a.ndim != 1 for a in arrays):
        raise ValueError("plain_frame: every column needs one value per row of the index")
    for s in (series or {}).values():
        arrays.append((s if s.index.equals(index) else s.reindex(index))._values)
    names = pd.Index([*columns, *(series or {})])
    return pd.DataFrame._from_arrays(arrays, columns=names, index=index,
                                     verify_integrity=False)
