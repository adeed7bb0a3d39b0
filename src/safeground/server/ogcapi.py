"""OGC API - Features (Part 1: Core) under /ogc, so QGIS and GDAL add the register's layers.

Collections: hazard areas, released land, events and assets. Items take ``bbox`` (CRS84),
``limit`` and ``offset`` and link to the next page; each feature's id is its record's id
(released land: ``AREA.OUTCOME``). Reading needs a session like every other route: GDAL
sends it with the config options ``GDAL_HTTP_AUTH=BEARER GDAL_HTTP_BEARER=TOKEN``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import anyio
import numpy as np
import orjson
import shapely
from anyio.lowlevel import RunVar
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from safeground.server.deps import TeamDep, principal_of
from safeground.server.errors import error_response
from safeground.server.pool import StorePool
from safeground.server.settings import Settings
from safeground.services.accounts import Permission
from safeground.services.team import COLLECTIONS, MAX_LIMIT, Team
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
    """GeoJSON, encoded by orjson (geometries arrive already encoded, as fragments)."""

    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


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
    """The layer's rows as GeoJSON features. Each geometry is written as GeoJSON by GEOS
    (all the page's at once) and kept as an encoded fragment: building Python dicts of
    every coordinate and encoding them again cost more than the query."""
    blobs = np.empty(len(layer.rows), dtype=object)
    if layer.geometries is not None:
        blobs[:] = list(layer.geometries)
    encoded = shapely.to_geojson(shapely.from_wkb(blobs)) if len(blobs) else []
    return [
        {
            "type": "Feature",
            "id": feature_id(name, row),
            "geometry": None if text is None else orjson.Fragment(text),
            "properties": row,
        }
        for row, text in zip(layer.records(), encoded, strict=True)
    ]


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


def _count(query: Any, name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise HTTPException(400, f"{name} is a whole number") from None


#: The query parameters of the items route, for the API description: the route reads them
#: itself, after the session check, so that anyone without a session gets 401 whatever
#: they send.
_ITEMS_PARAMETERS = [
    {
        "name": "bbox",
        "in": "query",
        "required": False,
        "description": "minx,miny,maxx,maxy in CRS84",
        "schema": {"type": "string"},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
]


@router.get(
    "/collections/{name}/items",
    response_class=GeoJSONResponse,
    openapi_extra={"parameters": _ITEMS_PARAMETERS},
)
async def items(name: str, request: Request) -> GeoJSONResponse:
    """A page of a collection's features (``bbox``, ``limit``, ``offset``).

    The hot path of every map client, so it takes one worker thread for the session check,
    the query and the encoding together, instead of a thread for each dependency. In the
    app, :class:`ItemPages` answers these requests before they reach this route."""
    return await anyio.to_thread.run_sync(_items, name, request, limiter=_limiter())


_ITEMS_PATH = re.compile(r"/ogc/collections/([^/]+)/items")


def _route_path(scope: Scope) -> str:
    """The path below the app's root path, as the router matches it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path


class ItemPages:
    """ASGI middleware that answers ``GET /ogc/collections/{name}/items`` as the route above
    does, without FastAPI's routing, dependency and exception layers: they cost about as
    much CPU as the page itself. It sits inside the security headers and the body limit
    and answers errors as the app's handlers do (server/errors.py); anything else passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _ITEMS_PATH.fullmatch(_route_path(scope))
            if match:
                request = Request(scope, receive)
                try:
                    response: Response = await anyio.to_thread.run_sync(
                        _items, match.group(1), request, limiter=_limiter()
                    )
                except Exception as exc:
                    answer = await error_response(request, exc)
                    if answer is None:
                        raise  # the server's error middleware answers 500
                    response = answer
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


#: Worker threads that serve item pages at once, per server process. Two keep a core busy
#: (one runs Python while the other waits on the database, which releases the GIL); more
#: only share the GIL, so that every request in flight is slowed and the slowest wait
#: longest. Measured with benchmarks/server_load.py on 2 cores, 50 clients, one process:
#: p99 128-166 ms with 2 threads, 142-181 ms with 4.
ITEM_THREADS = 2
_item_limiter: RunVar[anyio.CapacityLimiter] = RunVar("safeground_item_limiter")


def _limiter() -> anyio.CapacityLimiter:
    """The item pages' limiter of this event loop (a limiter belongs to one loop)."""
    try:
        return _item_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(ITEM_THREADS)
        _item_limiter.set(limiter)
        return limiter


def _items(name: str, request: Request) -> GeoJSONResponse:
    pool: StorePool = request.app.state.pool
    settings: Settings = request.app.state.settings
    with pool.acquire() as store:
        team = Team(store, principal_of(request, store, settings))
        team.who.require(Permission.READ)  # 401, then 403, before anything is parsed
        query = request.query_params
        bbox = query.get("bbox")
        limit = _count(query, "limit", 100)
        offset = _count(query, "offset", 0)
        page, more = team.features(name, bbox=_bbox(bbox), limit=limit, offset=offset)
    found = features(name, page)
    base = f"{_base(request)}/collections/{name}/items"
    params: dict[str, Any] = {"limit": limit}
    if bbox is not None:
        params["bbox"] = bbox
    links = [
        {
            "href": f"{base}?{urlencode({**params, 'offset': offset})}",
            "rel": "self",
            "type": GEOJSON,
        }
    ]
    if more:
        links.append(
            {
                "href": f"{base}?{urlencode({**params, 'offset': offset + limit})}",
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
