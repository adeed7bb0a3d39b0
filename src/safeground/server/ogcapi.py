"""OGC API - Features (Part 1: Core) under /ogc, so QGIS and GDAL add the register's layers.

Collections: hazard areas, released land, events and assets. Items take ``bbox`` (CRS84),
``limit`` and ``offset`` and link to the next page; each feature's id is its record's id
(released land: ``AREA.OUTCOME``). Reading needs a session like every other route: GDAL
sends it with the config options ``GDAL_HTTP_AUTH=BEARER GDAL_HTTP_BEARER=TOKEN``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import shapely
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from safeground.server.deps import TeamDep
from safeground.services.accounts import Permission
from safeground.services.team import COLLECTIONS
from safeground.store.base import Layer
from safeground.store.tables import TABLES

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _collection(base: str, name: str) -> dict[str, Any]:
    return {
        "id": name,
        "title": COLLECTIONS[name],
        "description": TABLES[name].description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            {"href": f"{base}/collections/{name}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{name}/items", "rel": "items", "type": GEOJSON},
        ],
    }


def feature_id(name: str, row: dict[str, Any]) -> str:
    if name == "land_release":
        return f"{row['area_id']}.{row['outcome_id']}"
    return str(row[TABLES[name].key])


def features(name: str, layer: Layer) -> list[dict[str, Any]]:
    """The layer's rows as GeoJSON features."""
    out = []
    for row, geom in zip(layer.records(), layer.shapes(), strict=True):
        out.append(
            {
                "type": "Feature",
                "id": feature_id(name, row),
                "geometry": None if geom is None else shapely.geometry.mapping(geom),
                "properties": row,
            }
        )
    return out


@router.get("")
def landing(request: Request, team: TeamDep) -> dict[str, Any]:
    team.who.require(Permission.READ)
    base = _base(request)
    return {
        "title": "safeground",
        "description": "The hazard register and land release, as OGC API - Features",
        "links": [
            {"href": base, "rel": "self", "type": "application/json"},
            {
                "href": str(request.base_url) + "openapi.json",
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
            },
            {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
            {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
        ],
    }


@router.get("/conformance")
def conformance(team: TeamDep) -> dict[str, Any]:
    team.who.require(Permission.READ)
    return {"conformsTo": CONFORMANCE}


@router.get("/collections")
def collections(request: Request, team: TeamDep) -> dict[str, Any]:
    team.who.require(Permission.READ)
    base = _base(request)
    return {
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        "collections": [_collection(base, name) for name in COLLECTIONS],
    }


@router.get("/collections/{name}")
def collection(name: str, request: Request, team: TeamDep) -> dict[str, Any]:
    team.who.require(Permission.READ)
    if name not in COLLECTIONS:
        raise HTTPException(404, f"no collection {name!r}")
    return _collection(_base(request), name)


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise HTTPException(400, "bbox is four numbers: minx,miny,maxx,maxy") from None
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise HTTPException(400, "bbox is four numbers: minx,miny,maxx,maxy")
    return values[0], values[1], values[2], values[3]


@router.get("/collections/{name}/items", response_class=GeoJSONResponse)
def items(
    name: str,
    request: Request,
    team: TeamDep,
    bbox: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GeoJSONResponse:
    box = _bbox(bbox)
    page, more = team.features(name, bbox=box, limit=limit, offset=offset)
    found = features(name, page)
    base = f"{_base(request)}/collections/{name}/items"
    query: dict[str, Any] = {"limit": limit}
    if bbox is not None:
        query["bbox"] = bbox
    links = [
        {"href": f"{base}?{urlencode({**query, 'offset': offset})}", "rel": "self", "type": GEOJSON}
    ]
    if more:
        links.append(
            {
                "href": f"{base}?{urlencode({**query, 'offset': offset + limit})}",
                "rel": "next",
                "type": GEOJSON,
            }
        )
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": found,
            "numberReturned": len(found),
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
        }
    )


@router.get("/collections/{name}/items/{fid}", response_class=GeoJSONResponse)
def item(name: str, fid: str, request: Request, team: TeamDep) -> GeoJSONResponse:
    key = fid.partition(".")[0] if name == "land_release" else fid
    layer, _more = team.features(name, key=key, limit=10_000)
    for feature in features(name, layer):
        if feature["id"] == fid:
            feature["links"] = [
                {
                    "href": f"{_base(request)}/collections/{name}/items/{fid}",
                    "rel": "self",
                    "type": GEOJSON,
                },
                {
                    "href": f"{_base(request)}/collections/{name}",
                    "rel": "collection",
                    "type": "application/json",
                },
            ]
            return GeoJSONResponse(feature)
    raise HTTPException(404, f"no feature {fid!r} in {name}")
