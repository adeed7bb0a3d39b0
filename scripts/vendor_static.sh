#!/usr/bin/env bash
# Reproduce the vendored front-end files under src/safeground/static/ from npm:
#   vendor/leaflet/   Leaflet 1.9.4 (BSD-2-Clause): leaflet.js, leaflet.css, images, LICENSE
#   vendor/swagger-ui/ swagger-ui-dist 5.35.0 (Apache-2.0): the team server's API docs
#   basemap/          Natural Earth 1:50m country outlines (public domain), from the
#                     world-atlas 2.0.2 TopoJSON, converted to GeoJSON with topojson-client
# Needs node and npm (the registry, once); nothing here is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
static=src/safeground/static
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent leaflet@1.9.4 world-atlas@2.0.2 topojson-client@3.1.0 \
    swagger-ui-dist@5.35.0 >/dev/null)
for tgz in "$work"/*.tgz; do
    mkdir -p "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"
done
leaflet=$work/leaflet-1.9.4/package
rm -rf "$static/vendor/leaflet" && mkdir -p "$static/vendor/leaflet/images"
cp "$leaflet/dist/leaflet.js" "$leaflet/dist/leaflet.css" "$leaflet/LICENSE" "$static/vendor/leaflet/"
cp "$leaflet"/dist/images/*.png "$static/vendor/leaflet/images/"
swagger=$work/swagger-ui-dist-5.35.0/package
rm -rf "$static/vendor/swagger-ui" && mkdir -p "$static/vendor/swagger-ui"
cp "$swagger/swagger-ui-bundle.js" "$swagger/swagger-ui-bundle.js.LICENSE.txt" \
    "$swagger/swagger-ui.css" "$swagger/LICENSE" "$swagger/NOTICE" "$static/vendor/swagger-ui/"
echo "swagger-ui-dist 5.35.0 from npm (npm pack swagger-ui-dist@5.35.0): swagger-ui-bundle.js and swagger-ui.css, unchanged. Apache-2.0 (LICENSE, NOTICE)." \
    > "$static/vendor/swagger-ui/SOURCE"
mkdir -p "$static/basemap"
# TopoJSON -> GeoJSON, coordinates rounded to 1e-4 degrees (about 10 m; the 1:50m
# outlines are far coarser than that), only each country's name kept.
node - "$work/topojson-client-3.1.0/package/dist/topojson-client.js" \
    "$work/world-atlas-2.0.2/package/countries-50m.json" \
    "$static/basemap/countries-50m.geojson" <<'JS'
const fs = require("fs");
const [client, input, output] = process.argv.slice(2);
const topojson = require(client);
const topo = JSON.parse(fs.readFileSync(input, "utf8"));
const fc = topojson.feature(topo, topo.objects.countries);
const round = (c) => (typeof c[0] === "number"
    ? c.map((v) => Math.round(v * 1e4) / 1e4) : c.map(round));
fc.features = fc.features.filter((f) => f.geometry).map((f) => ({
    type: "Feature",
    properties: { name: f.properties.name },
    geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
}));
fs.writeFileSync(output, JSON.stringify(fc));
JS
cp "$work/world-atlas-2.0.2/package/LICENSE" "$static/basemap/LICENSE.world-atlas"
find "$static" -type f | sort | xargs ls -l
