"""plain_frame: numpy columns as they are, pandas' public construction as the reference."""

import numpy as np
import pandas as pd
import pytest

from xl_cseg.core.frames import plain_frame


def _reference(columns, index, series):
    return pd.DataFrame({**{k: pd.Series(v, index=index, dtype=object if v.dtype == object
                                         else None) for k, v in columns.items()},
                         **series}, index=index)


def test_equals_public_construction_and_keeps_object_columns():
    index = pd.Index([3, 5, 9])
    columns = {"text": np.array(["x", "y", None], dtype=object),
               "mixed": np.array([1.5, "neu", None], dtype=object),
               "number": np.array([1.0, np.nan, 2.0]), "int": np.array([1, 2, 3]),
               "flag": np.array([True, False, True]),
               "date": np.array(["2026-01-01", "NaT", "2026-12-31"], dtype="datetime64[ns]")}
    series = {"kept": pd.Series(["u", None, "w"], index=index, dtype=object),
              "typed": pd.Series(["a", "b", None], index=index, dtype="string"),
              "other_index": pd.Series(["p", "q"], index=[9, 4], dtype=object)}
    frame = plain_frame(columns, index, series)
    pd.testing.assert_frame_equal(frame, _reference(columns, index, series))
    assert frame["text"].dtype == object and frame["text"].iloc[2] is None
    assert frame["typed"].dtype == "string"
    assert frame["other_index"].tolist()[0] != frame["other_index"].tolist()[0]  # NaN
    assert frame["other_index"].tolist()[2] == "p"


def test_default_index_and_wrong_lengths():
    frame = plain_frame({"a": np.array(["x", "y"], dtype=object)})
    assert list(frame.index) == [0, 1] and frame["a"].dtype == object
    with pytest.raises(ValueError):
        plain_frame({"a": np.arange(3)}, pd.RangeIndex(2))
    with pytest.raises(ValueError):
        plain_frame({"a": np.zeros((2, 2))}, pd.RangeIndex(2))
