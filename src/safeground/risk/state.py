"""A risk model as plain data, for a file format that loads without running code.

The state is a dict of strings, numbers, lists and scikit-learn estimators; the service
writes it with skops (``skops.io``), whose loader builds only the types it is told to
trust. :data:`TRUSTED_PREFIXES` says which: scikit-learn and numpy types and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from safeground.risk.features import Feature
from safeground.risk.models import Calibration, Calibrator, ModelKind, RiskModel

FORMAT = "safeground.risk/1"
#: The module prefixes of the only types a model file may hold.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.")


def model_state(model: RiskModel) -> dict[str, Any]:
    """``model`` as a dict of plain values and fitted estimators."""
    c = model.calibrator
    return {
        "format": FORMAT,
        "kind": model.kind.value,
        "label": model.label,
        "group": model.group,
        "features": [[f.column, f.transform, f.one_hot] for f in model.features],
        "estimators": list(model.estimators),
        "calibrator": {
            "method": c.method.value,
            "a": c.a,
            "b": c.b,
            "xs": list(c.xs),
            "ys": list(c.ys),
        },
        "reference": list(model.reference),
        "lower": list(model.lower),
        "upper": list(model.upper),
    }


def model_from_state(state: Mapping[str, Any]) -> RiskModel:
    """The model of a state written by :func:`model_state`.

    Raises ValueError when the state is not of this format.
    """
    if not isinstance(state, Mapping) or state.get("format") != FORMAT:
        raise ValueError(f"not a safeground risk model (expected format {FORMAT})")
    try:
        c = state["calibrator"]
        return RiskModel(
            features=tuple(Feature(str(col), str(t), bool(h)) for col, t, h in state["features"]),
            kind=ModelKind(state["kind"]),
            estimators=tuple(state["estimators"]),
            calibrator=Calibrator(
                Calibration(c["method"]),
                float(c["a"]),
                float(c["b"]),
                tuple(float(v) for v in c["xs"]),
                tuple(float(v) for v in c["ys"]),
            ),
            reference=tuple(float(v) for v in state["reference"]),
            label=str(state["label"]),
            group=str(state["group"]),
            # files written before training ranges were kept: no clipping
            lower=tuple(float(v) for v in state.get("lower", ())),
            upper=tuple(float(v) for v in state.get("upper", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"risk model file: missing or bad entry: {exc}") from exc
