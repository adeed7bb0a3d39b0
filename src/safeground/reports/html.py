"""A :class:`~safeground.reports.document.Document` as one self-contained HTML file.

Everything is inline: Leaflet's script and stylesheet (its images as data URIs), the map's
layers and the Natural Earth outlines as JSON, the charts as PNG data URIs. A Content
Security Policy forbids every request the page might make (``default-src 'none'``), so
the file opens from a disk with no network, and a request slipped in by mistake shows as
an error in the browser's console instead of leaking to a server. There are no tiles:
the map draws the outlines over a plain sea-coloured background.

Each table cell holding a number carries it exactly in ``data-value``; each table its
``data-table`` key.
"""

from __future__ import annotations

import base64
import io
import json
import re
from html import escape
from importlib import resources
from typing import Any

from safeground.reports.document import Chart, Document, Section, Table

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; font-src 'none'"
)

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.5em auto; max-width: 70em;
       color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } .meta { color: #555; }
table { border-collapse: collapse; margin: 0.8em 0 1.6em; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f0f0f0; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.85em; }
#map { height: 34em; border: 1px solid #999; background: #cfe3ef; }
.legend { background: white; padding: 0.4em 0.6em; font-size: 0.8em; line-height: 1.5; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em;
            vertical-align: -0.1em; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; }
nav a { margin-right: 1em; }
"""

MAP_SCRIPT = """
(function () {
  const data = JSON.parse(document.getElementById("map-data").textContent);
  const map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
  map.attributionControl.setPrefix("Leaflet");
  if (data.basemap) {
    L.geoJSON(data.basemap, {
      interactive: false,
      style: { color: "#7a7a7a", weight: 1, fillColor: "#f4f1ea", fillOpacity: 1 },
    }).addTo(map);
    map.attributionControl.addAttribution("Outlines: Natural Earth");
  }
  function info(props) {
    const box = document.createElement("div");
    for (const [k, v] of Object.entries(props.info || {})) {
      const line = document.createElement("div");
      const b = document.createElement("b");
      b.textContent = k + ": ";
      line.appendChild(b);
      line.appendChild(document.createTextNode(v === null ? "" : String(v)));
      box.appendChild(line);
    }
    return box;
  }
  const overlays = {};
  for (const layer of data.layers) {
    const colour = (f) => layer.legend[f.properties.style] || "#555";
    const group = L.geoJSON(layer.features, {
      style: (f) => ({
        color: colour(f), weight: 1.5, fillColor: colour(f),
        fillOpacity: f.properties.faded ? 0.15 : 0.55, opacity: f.properties.faded ? 0.4 : 1,
      }),
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: f.properties.radius || 5 }),
      onEachFeature: (f, l) => l.bindPopup(() => info(f.properties)),
    }).addTo(map);
    overlays[layer.title + " (" + layer.features.length + ")"] = group;
  }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    const div = L.DomUtil.create("div", "legend");
    for (const layer of data.layers) {
      const head = document.createElement("b");
      head.textContent = layer.title;
      div.appendChild(head);
      for (const [label, c] of Object.entries(layer.legend)) {
        const row = document.createElement("div");
        const swatch = document.createElement("i");
        swatch.style.background = c;
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(label.replace(/_/g, " ")));
        div.appendChild(row);
      }
    }
    return div;
  };
  legend.addTo(map);
  const b = data.bounds;
  if (b) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]]); } else { map.setView([0, 0], 2); }
  document.getElementById("map").dataset.ready = "yes";
})();
"""


def _static(*parts: str) -> str:
    return (resources.files("safeground").joinpath("static", *parts)).read_text(encoding="utf-8")


def _leaflet_css() -> str:
    """Leaflet's stylesheet with its images inlined as data URIs (no file requests)."""
    css = _static("vendor", "leaflet", "leaflet.css")

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        data = resources.files("safeground").joinpath("static", "vendor", "leaflet", name)
        return f"url(data:image/png;base64,{base64.b64encode(data.read_bytes()).decode()})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


def _leaflet_js() -> str:
    """Leaflet's script, without the pointer to a source map that is not shipped."""
    return re.sub(r"//# sourceMappingURL=\S+", "", _static("vendor", "leaflet", "leaflet.js"))


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for shown, value in row:
            if value is None:
                cells.append(f"<td>{escape(shown)}</td>")
            else:
                cells.append(f'<td class="n" data-value="{value!r}">{escape(shown)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not table.rows:
        body.append(f'<tr><td colspan="{len(table.columns)}">none recorded</td></tr>')
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<table data-table="{escape(table.key)}"><caption>{escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )


def _chart(chart: Chart) -> str:
    buffer = io.BytesIO()
    chart.draw().savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode()
    return (
        f'<figure data-chart="{escape(chart.key)}"><img alt="{escape(chart.caption)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{escape(chart.caption)}'
        "</figcaption></figure>"
    )


def _section(section: Section) -> str:
    parts = [f'<section id="section-{escape(section.key)}"><h2>{escape(section.title)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    if section.map:
        parts.append('<div id="map"></div>')
    parts += [_table(t) for t in section.tables]
    parts += [_chart(c) for c in section.charts]
    parts.append("</section>")
    return "\n".join(parts)


def render(document: Document) -> str:
    """The whole report as one HTML string."""
    has_map = any(s.map for s in document.sections)
    map_data = {
        "layers": [
            {
                "key": layer.key,
                "title": layer.title,
                "legend": dict(layer.legend),
                "features": list(layer.features),
            }
            for layer in document.layers
        ],
        "basemap": document.basemap,
        "bounds": document.bounds,
    }
    nav = " ".join(
        f'<a href="#section-{escape(s.key)}">{escape(s.title)}</a>' for s in document.sections
    )
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(document.title)}</title>",
        f"<style>{STYLE}</style>",
    ]
    if has_map:
        head.append(f"<style>{_leaflet_css()}</style>")
    head.append("</head><body>")
    body = [
        f"<h1>{escape(document.title)}</h1>",
        f'<p class="meta">Generated {document.generated.isoformat()} by safeground.</p>',
        *(f'<p class="note">{escape(n)}</p>' for n in document.notes),
        f"<nav>{nav}</nav>",
        *(_section(s) for s in document.sections),
    ]
    if has_map:
        body += [
            f'<script id="map-data" type="application/json">{_script_json(map_data)}</script>',
            f"<script>{_leaflet_js()}</script>",
            f"<script>{MAP_SCRIPT}</script>",
        ]
    body.append("</body></html>")
    return "\n".join(head + body)
