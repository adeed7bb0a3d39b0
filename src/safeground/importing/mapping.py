"""From a source feature's attributes to a report payload: the field mapping of an import.

A mapping says, for each field of the record kind, which source attribute fills it
(``fields``), how source values translate (``values``), and which fields take a fixed
value (``constants``); ``layers`` overrides any of these per layer (matched by a
case-insensitive part of the layer's name) and, when present, also names the layers an
import reads. A field without a mapping takes the source attribute of the same name
(case-insensitive), if there is one.

Nothing is guessed beyond that: a value that is not one of a field's choices, and has no
translation, is refused with the field, the attribute and the value, so that the person
importing adds the translation rather than the importer inventing one. Source attributes
that fill no field are not lost: the import keeps every attribute in the report.

A mapping file is TOML (or JSON) of the same shape::

    [fields]
    damage_grade = "grading"
    [values.damage_grade]
    "Completely Destroyed" = "destroyed"
    [layers.settlements_poly_grading.constants]
    kind = "building"

The presets shipped in ``presets/`` are mapping files for known sources.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from safeground.domain.model import (
    AssetKind,
    AssetState,
    DamageGrade,
    EventType,
    HazardType,
    ReportKind,
)


class MappingError(ValueError):
    """A mapping that cannot be used, or a value it cannot map; the message says which."""


class ImportKind(StrEnum):
    """What the features of an import become."""

    HAZARD_AREAS = "hazard-areas"
    EVENTS = "events"
    ASSETS = "assets"

    @property
    def report_kind(self) -> ReportKind:
        return {
            ImportKind.HAZARD_AREAS: ReportKind.AREA_REGISTER,
            ImportKind.EVENTS: ReportKind.EVENT_REGISTER,
            ImportKind.ASSETS: ReportKind.ASSET_REGISTER,
        }[self]


TEXT, INTEGER, DATE = "text", "integer", "date"
FieldType = str | type[StrEnum]

#: The fields each kind of record takes from a source, and their types.
KIND_FIELDS: Mapping[ImportKind, Mapping[str, FieldType]] = {
    ImportKind.HAZARD_AREAS: {
        "name": TEXT,
        "hazard_type": HazardType,
        "admin_unit": TEXT,
        "land_use": TEXT,
        "evidence": TEXT,
        "blockages": TEXT,
    },
    ImportKind.EVENTS: {
        "event_type": EventType,
        "source_type": TEXT,
        "date": DATE,
        "year": INTEGER,
        "admin_unit": TEXT,
        "place": TEXT,
        "description": TEXT,
    },
    ImportKind.ASSETS: {
        "name": TEXT,
        "kind": AssetKind,
        "damage_grade": DamageGrade,
        "state": AssetState,
        "admin_unit": TEXT,
    },
}


@dataclass(frozen=True)
class FieldMap:
    """``fields``: target field -> source attribute; ``values``: target field -> {source
    value -> target value}; ``constants``: target field -> value."""

    fields: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    constants: Mapping[str, Any] = field(default_factory=dict)

    def over(self, base: FieldMap) -> FieldMap:
        """This map laid over ``base``: its entries win."""
        values = {k: dict(v) for k, v in base.values.items()}
        for target, table in self.values.items():
            values.setdefault(target, {}).update(table)
        return FieldMap(
            {**base.fields, **self.fields}, values, {**base.constants, **self.constants}
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "values": {k: dict(v) for k, v in self.values.items()},
            "constants": dict(self.constants),
        }


@dataclass(frozen=True)
class FieldMapping:
    """A whole mapping: the map for every layer, and per-layer overrides."""

    base: FieldMap = field(default_factory=FieldMap)
    layers: Mapping[str, FieldMap] = field(default_factory=dict)
    name: str = ""  # the preset or file it came from

    def for_layer(self, layer: str) -> FieldMap:
        fmap = self.base
        for pattern, override in self.layers.items():
            if pattern.lower() in layer.lower():
                fmap = override.over(fmap)
        return fmap

    def with_options(self, fields: Mapping[str, str], constants: Mapping[str, str]) -> FieldMapping:
        """This mapping with command-line ``--map``/``--set`` options over every layer."""
        top = FieldMap(fields=fields, constants=constants)
        return FieldMapping(
            top.over(self.base),
            {k: top.over(v) for k, v in self.layers.items()},
            self.name,
        )

    def as_dict(self) -> dict[str, Any]:
        data = self.base.as_dict()
        data["layers"] = {k: v.as_dict() for k, v in self.layers.items()}
        if self.name:
            data["name"] = self.name
        return data


def _field_map(data: Any, where: str) -> FieldMap:
    if not isinstance(data, Mapping):
        raise MappingError(f"{where} must be a table")
    unknown = set(data) - {"fields", "values", "constants", "layers"}
    if unknown:
        raise MappingError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    fields = data.get("fields", {})
    values = data.get("values", {})
    constants = data.get("constants", {})
    if not isinstance(fields, Mapping) or not all(isinstance(v, str) for v in fields.values()):
        raise MappingError(f"{where}: 'fields' maps each field to an attribute name (text)")
    if not isinstance(values, Mapping) or not all(
        isinstance(t, Mapping) and all(isinstance(v, str) for v in t.values())
        for t in values.values()
    ):
        raise MappingError(f"{where}: 'values' maps each field to a table of text translations")
    if not isinstance(constants, Mapping):
        raise MappingError(f"{where}: 'constants' must be a table")
    return FieldMap(
        dict(fields),
        {k: {str(a): b for a, b in v.items()} for k, v in values.items()},
        dict(constants),
    )


def parse_mapping(data: Any, name: str = "") -> FieldMapping:
    """A mapping from its parsed TOML/JSON form; MappingError says what is malformed."""
    base = _field_map(data, name or "mapping")
    layers = data.get("layers", {})
    if not isinstance(layers, Mapping):
        raise MappingError(f"{name or 'mapping'}: 'layers' must be a table of layer tables")
    return FieldMapping(
        base,
        {str(k): _field_map(v, f"layer {k!r}") for k, v in layers.items()},
        name,
    )


def load_mapping(path: Path) -> FieldMapping:
    """A mapping file, TOML or (by its .json extension) JSON."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc.strerror}") from exc
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"mapping file {path} is not valid: {exc}") from exc
    return parse_mapping(data, path.name)


def presets() -> list[str]:
    """The names of the shipped presets."""
    folder = resources.files("safeground.importing") / "presets"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def preset(name: str) -> FieldMapping:
    if name not in presets():
        raise MappingError(f"no preset {name!r}; presets: {', '.join(presets())}")
    text = (resources.files("safeground.importing") / "presets" / f"{name}.toml").read_text(
        encoding="utf-8"
    )
    return parse_mapping(tomllib.loads(text), name)


def check_targets(kind: ImportKind, mapping: FieldMapping) -> None:
    """Refuse a mapping that fills fields the kind does not have (a typo, usually)."""
    known = KIND_FIELDS[kind]
    for where, fmap in [("mapping", mapping.base), *mapping.layers.items()]:
        for target in [*fmap.fields, *fmap.values, *fmap.constants]:
            if target not in known:
                raise MappingError(
                    f"{where}: {kind} have no field {target!r}; fields: {', '.join(known)}"
                )


def source_attribute(target: str, fmap: FieldMap, attributes: Sequence[str]) -> str | None:
    """The source attribute that fills ``target``: as mapped, else the same name."""
    if target in fmap.fields:
        return fmap.fields[target]
    by_lower = {a.lower(): a for a in attributes}
    return by_lower.get(target.lower())


def payload(
    kind: ImportKind,
    fmap: FieldMap,
    properties: Mapping[str, Any],
    attributes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The payload fields of one feature (without geometry); MappingError names the
    field, the attribute and the value it cannot use."""
    names = list(properties) if attributes is None else attributes
    return plan(kind, fmap, names).payload(properties)


@dataclass(frozen=True)
class _Target:
    name: str
    type_: FieldType
    where: str  # "field 'NAME' from constant" or "... from attribute 'NAME'", for messages
    attribute: str | None  # None for a constant
    constant: Any
    table: Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """Where each field of a kind comes from, for a layer's attributes: worked out once
    per layer, then applied to each feature."""

    targets: tuple[_Target, ...]

    def payload(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The payload fields of one feature; MappingError as :func:`payload` says."""
        out: dict[str, Any] = {}
        for t in self.targets:
            raw = t.constant if t.attribute is None else properties.get(t.attribute)
            if raw is None or (isinstance(raw, str) and not raw.strip() and t.type_ is not TEXT):
                continue
            if t.table and str(raw) in t.table:
                raw = t.table[str(raw)]
            out[t.name] = _convert(raw, t.type_, t.where, bool(t.table))
        return out


def plan(kind: ImportKind, fmap: FieldMap, attributes: Sequence[str]) -> Plan:
    """The :class:`Plan` of ``fmap`` for a layer with these attributes."""
    targets = []
    for target, type_ in KIND_FIELDS[kind].items():
        table = fmap.values.get(target, {})
        # each message's "where" is written once here, not for every value of every feature
        if target in fmap.constants:
            where = f"field {target!r} from constant"
            targets.append(_Target(target, type_, where, None, fmap.constants[target], table))
            continue
        attribute = source_attribute(target, fmap, attributes)
        if attribute is not None:
            where = f"field {target!r} from attribute {attribute!r}"
            targets.append(_Target(target, type_, where, attribute, None, table))
    return Plan(tuple(targets))


def _convert(value: Any, type_: FieldType, where: str, has_table: bool) -> Any:
    if type_ == TEXT:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise MappingError(f"{where}: {value!r} is not text")
        return value if isinstance(value, str) else _number_text(value)
    if type_ == INTEGER:
        return _integer(value, where)
    if type_ == DATE:
        return _date(value, where)
    assert isinstance(type_, type)
    choice = _choices(type_).get(str(value).strip().lower())  # a difference of case only
    if choice is not None:
        return choice
    hint = "" if has_table else "; add a translation under [values]"
    raise MappingError(
        f"{where}: {value!r} is not one of {', '.join(type_)} and has no translation{hint}"
    )


@cache
def _choices(enum: type[StrEnum]) -> Mapping[str, str]:
    """The values of ``enum`` by their lower case (the first value, should two differ only
    in case): looked up once per enum, not for every value of every feature."""
    choices: dict[str, str] = {}
    for choice in enum:
        choices.setdefault(choice.value.lower(), choice.value)
    return choices


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise MappingError(f"{where}: {value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise MappingError(f"{where}: {value!r} is not a whole number")


def _date(value: Any, where: str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        for parse in (date.fromisoformat, lambda t: datetime.fromisoformat(t).date()):
            try:
                return parse(text).isoformat()
            except ValueError:
                continue
    raise MappingError(f"{where}: {value!r} is not a date YYYY-MM-DD")
