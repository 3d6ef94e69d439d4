"""Building frames from numpy columns without pandas' text inference."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plain_frame(columns: dict[str, np.ndarray], index: pd.Index | None = None,
                series: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """A frame of numpy columns (and ``series`` as they are). Object arrays stay object:
    pandas 3 would infer its ``str`` dtype, which hashes, groups and sorts about half as fast
    and turns None into NaN."""
    index = index if index is not None else pd.RangeIndex(len(next(iter(columns.values()))))
    return pd.DataFrame({
        **{key: pd.Series(v, index=index, dtype=object if v.dtype == object else None, copy=False)
           for key, v in columns.items()},
        **(series or {})}, index=index)
