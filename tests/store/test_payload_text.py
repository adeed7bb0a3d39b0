"""A report's payload is stored as the JSON json.dumps writes, or one that reads the same."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeground.store.sql import payload_text

_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond 64 bits too
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # surrogates, quotes, control characters
)
_payloads = st.dictionaries(
    st.text(),
    st.recursive(
        _leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    ),
    max_size=6,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN (json.dumps writes it, json.loads reads it back)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=300)
@given(_payloads)
def test_a_stored_payload_reads_back_as_json_dumps_would_have_stored_it(
    payload: dict[str, Any],
) -> None:
    assert _same(json.loads(payload_text(payload)), json.loads(json.dumps(payload)))


def test_nan_and_infinity_are_kept_not_turned_into_null() -> None:
    stored = json.loads(payload_text({"depth_m": math.nan, "area_m2": math.inf}))
    assert math.isnan(stored["depth_m"]) and stored["area_m2"] == math.inf


def test_a_payload_json_cannot_write_is_refused_as_before() -> None:
    with pytest.raises(TypeError):  # orjson would write the date; json.dumps refuses it
        payload_text({"when": datetime.date(2026, 11, 30)})
