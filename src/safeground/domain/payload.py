"""Reading a report's payload into typed values, with errors that name the field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from safeground import geometry as geo
from safeground.domain import errors
from safeground.domain.errors import RuleViolation

E = TypeVar("E", bound=StrEnum)


class Payload:
    """A read-only view of a report payload whose getters refuse bad values."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        if not isinstance(data, Mapping):
            raise RuleViolation(errors.INVALID_REPORT, f"{where}: payload must be an object")
        self._data = data
        self.where = where

    def _fail(self, key: str, why: str) -> RuleViolation:
        return RuleViolation(errors.INVALID_REPORT, f"{self.where}: field '{key}' {why}")

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def text(self, key: str, default: str | None = None) -> str:
        value = self._data.get(key)
        if value is None:
            if default is None:
                raise self._fail(key, "is required")
            return default
        if not isinstance(value, str):
            raise self._fail(key, f"must be text, got {type(value).__name__}")
        return value

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self.has(key) else None

    def number(self, key: str) -> float | None:
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, f"must be a number, got {type(value).__name__}")
        if value != value or value in (float("inf"), float("-inf")):
            raise self._fail(key, "must be a finite number")
        return float(value)

    def count(self, key: str, default: int = 0) -> int:
        value = self._data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._fail(key, f"must be a whole number >= 0, got {value!r}")
        return value

    def day(self, key: str) -> date | None:
        value = self._data.get(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise self._fail(key, f"must be a date YYYY-MM-DD, got {value!r}") from exc

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E:
        value = self._data.get(key)
        if value is None:
            if default is None:
                raise self._fail(key, f"is required (one of {', '.join(enum)})")
            return default
        try:
            return enum(value)
        except ValueError as exc:
            raise self._fail(key, f"must be one of {', '.join(enum)}, got {value!r}") from exc

    def _geometry(self, key: str) -> BaseGeometry:
        value = self._data.get(key)
        if value is None:
            raise self._fail(key, "is required (a GeoJSON geometry)")
        try:
            return geo.from_geojson(value)
        except geo.GeometryError as exc:
            raise RuleViolation(errors.INVALID_GEOMETRY, f"{self.where}: {exc}") from exc

    def polygons(self, key: str = "geometry") -> MultiPolygon:
        try:
            return geo.as_multipolygon(self._geometry(key))
        except geo.GeometryError as exc:
            raise RuleViolation(errors.INVALID_GEOMETRY, f"{self.where}: {exc}") from exc

    def measured(self, key: str = "geometry") -> geo.Measured:
        """The polygons of :meth:`polygons`, with their UTM zone and area in m²."""
        try:
            return geo.measure(self._geometry(key))
        except geo.GeometryError as exc:
            raise RuleViolation(errors.INVALID_GEOMETRY, f"{self.where}: {exc}") from exc

    def point(self, key: str = "geometry") -> Point:
        try:
            return geo.as_point(self._geometry(key))
        except geo.GeometryError as exc:
            raise RuleViolation(errors.INVALID_GEOMETRY, f"{self.where}: {exc}") from exc

    def any_geometry(self, key: str = "geometry") -> BaseGeometry:
        geom = self._geometry(key)
        if geom.is_empty:
            raise RuleViolation(errors.INVALID_GEOMETRY, f"{self.where}: geometry is empty")
        try:
            geo.check_lonlat(geom)
        except geo.GeometryError as exc:
            raise RuleViolation(errors.INVALID_GEOMETRY, f"{self.where}: {exc}") from exc
        if not geom.is_valid:
            raise RuleViolation(
                errors.INVALID_GEOMETRY,
                f"{self.where}: invalid geometry: {shapely.is_valid_reason(geom)}",
            )
        return geom
