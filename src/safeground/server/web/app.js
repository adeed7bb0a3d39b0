// The safeground page: a map of the register and the report workflow, over the JSON API
// and OGC API - Features of this server. Everything it loads comes from this server.
// Text from the database is set with textContent, never parsed as HTML.
"use strict";

const state = { me: null, map: null, layers: {} };
const WRITE_HEADERS = { "X-Requested-With": "safeground" };

async function api(path, options = {}) {
  const opts = { credentials: "same-origin", ...options };
  opts.headers = { ...(opts.headers || {}) };
  if (opts.method && opts.method !== "GET") Object.assign(opts.headers, WRITE_HEADERS);
  if (opts.json !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(opts.json);
    delete opts.json;
  }
  const response = await fetch(path, opts);
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    const rule = body && body.rule ? `[${body.rule}] ` : "";
    const error = new Error(rule + (typeof detail === "string" ? detail : JSON.stringify(detail)));
    error.status = response.status;
    throw error;
  }
  return body;
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function say(text, refused = false) {
  const p = document.getElementById("message");
  p.textContent = text;
  p.className = refused ? "refused" : "";
}

function m2(value) {
  return value === null || value === undefined ? "–" : Math.round(value).toLocaleString("en");
}

function can(permission) {
  return state.me && state.me.permissions.includes(permission);
}

// --- login ----------------------------------------------------------------------------------
async function start() {
  try {
    state.me = await api("/api/me");
  } catch (e) {
    showLogin();
    return;
  }
  await showApp();
}

function showLogin() {
  document.getElementById("login-view").hidden = false;
  document.getElementById("app-view").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    await api("/api/login", { method: "POST", json: { name: form.get("name"), password: form.get("password") } });
    state.me = await api("/api/me");
    document.getElementById("login-error").textContent = "";
    await showApp();
  } catch (e) {
    document.getElementById("login-error").textContent = e.message;
  }
});

document.getElementById("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" });
  state.me = null;
  showLogin();
});

async function showApp() {
  document.getElementById("login-view").hidden = true;
  document.getElementById("app-view").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("who").textContent = `${state.me.name} (${state.me.roles.join(", ")})`;
  for (const section of document.querySelectorAll("[data-needs]")) {
    section.hidden = !can(section.dataset.needs);
  }
  if (!state.map) makeMap();
  await refresh();
}

// --- map ------------------------------------------------------------------------------------
const STYLES = {
  hazard_areas: { color: "#c0392b", weight: 1.5, fillOpacity: 0.35, className: "sg-hazard" },
  land_release: { color: "#1e8449", weight: 1, fillOpacity: 0.5, className: "sg-released" },
  assets: { color: "#7d3c98", weight: 2, fillOpacity: 0.2, className: "sg-asset" },
  events: { color: "#d68910", className: "sg-event" },
};

function makeMap() {
  state.map = L.map("map", { zoomControl: true, attributionControl: true }).setView([48.5, 31.0], 5);
  state.map.attributionControl.setPrefix(false);
  state.map.attributionControl.addAttribution("Natural Earth (world-atlas)");
  fetch("/static/basemap/countries-50m.geojson")
    .then((r) => r.json())
    .then((world) => {
      L.geoJSON(world, {
        interactive: false,
        style: { color: "#888", weight: 0.7, fillColor: "#f4f1ea", fillOpacity: 1 },
      }).addTo(state.map).bringToBack();
    });
  for (const name of Object.keys(STYLES)) {
    const style = STYLES[name];
    state.layers[name] = L.geoJSON(null, {
      style: () => style,
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { ...style, radius: 5 }),
      onEachFeature: (feature, layer) => {
        layer.on("click", () => showRecord(name, feature));
      },
    }).addTo(state.map);
  }
  state.map.on("moveend", loadFeatures);
}

async function loadFeatures() {
  const b = state.map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
  for (const name of Object.keys(STYLES)) {
    const page = await api(`/ogc/collections/${name}/items?limit=2000&bbox=${bbox}`);
    state.layers[name].clearLayers();
    state.layers[name].addData(page);
  }
  document.getElementById("map").dataset.loaded = String(Date.now());
}

async function fitToAreas() {
  const page = await api("/ogc/collections/hazard_areas/items?limit=2000");
  if (!page.features.length) return loadFeatures();
  const bounds = L.geoJSON(page).getBounds();
  state.map.fitBounds(bounds, { maxZoom: 16, animate: false });
  await loadFeatures();
}

function showRecord(name, feature) {
  const section = document.getElementById("record");
  section.hidden = false;
  document.getElementById("record-title").textContent = `${name}: ${feature.id}`;
  const dl = document.getElementById("record-fields");
  dl.replaceChildren();
  for (const [k, v] of Object.entries(feature.properties)) {
    dl.append(el("dt", k), el("dd", v));
  }
}

// --- lists and summary ------------------------------------------------------------------------
async function refresh() {
  const [summary, reports, areas] = await Promise.all([
    api("/api/summary"),
    api("/api/reports"),
    api("/api/areas"),
  ]);
  const total = summary[0] || {};
  document.getElementById("summary-area").textContent = m2(total.hazard_m2);
  document.getElementById("summary-cancelled").textContent = m2(total.cancelled_m2);
  document.getElementById("summary-reduced").textContent = m2(total.reduced_m2);
  document.getElementById("summary-cleared").textContent = m2(total.cleared_m2);
  document.getElementById("summary-remaining").textContent = m2(total.remaining_m2);
  renderReports(reports);
  renderAreas(areas);
  await fitToAreas();
}

function renderReports(reports) {
  const body = document.querySelector("#reports tbody");
  body.replaceChildren();
  for (const r of reports.slice().reverse()) {
    const tr = el("tr", null, { "data-report": r.id, "data-status": r.status });
    tr.append(el("td", r.id), el("td", r.kind), el("td", r.record_id), el("td", r.status, { class: "status" }), el("td", r.author));
    const actions = el("td");
    const mine = r.author === state.me.name;
    if (r.status === "draft" && mine && can("draft")) actions.append(button("Submit", () => act(r, "submit")));
    if (r.status === "submitted" && can("review") && !mine) {
      actions.append(button("Approve", () => act(r, "approve")));
      actions.append(button("Reject", () => {
        const reason = prompt("Why is it rejected?");
        if (reason) act(r, "reject", { reason });
      }));
    }
    tr.append(actions);
    body.append(tr);
  }
}

function renderAreas(areas) {
  const body = document.querySelector("#areas tbody");
  body.replaceChildren();
  for (const a of areas) {
    const tr = el("tr", null, { "data-area": a.area_id });
    const link = button(a.area_id, () => openArea(a.area_id), "link");
    const td = el("td");
    td.append(link);
    tr.append(td, el("td", a.name), el("td", a.status), el("td", m2(a.remaining_m2)));
    body.append(tr);
  }
}

async function openArea(areaId) {
  const area = await api(`/api/areas/${encodeURIComponent(areaId)}`);
  showRecord("hazard area", {
    id: area.id,
    properties: {
      name: area.name, status: area.status, type: area.hazard_type, admin: area.admin_unit,
      "area m²": m2(area.area_m2), "released m²": m2(area.released_m2),
      "remaining (hazardous) m²": m2(area.remaining_m2), version: area.version,
      outcomes: area.outcomes.map((o) => `${o.id} ${o.outcome} ${m2(o.released_m2)} m²`).join("; "),
    },
  });
}

function button(label, onClick, cls) {
  const b = el("button", label, { type: "button", "data-action": label.toLowerCase() });
  if (cls) b.className = cls;
  b.addEventListener("click", onClick);
  return b;
}

async function act(report, action, extra = {}) {
  try {
    const done = await api(`/api/reports/${report.id}/${action}`, {
      method: "POST",
      json: { version: report.version, ...extra },
    });
    say(`report ${done.id}: ${done.status}`);
  } catch (e) {
    say(`report ${report.id} refused: ${e.message}`, true);
  }
  await refresh();
}

// --- forms ----------------------------------------------------------------------------------
document.getElementById("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  form.set("submit", document.getElementById("upload-submit").checked ? "true" : "false");
  try {
    const r = await api("/api/uploads/area", { method: "POST", body: form });
    say(`report ${r.id} registers ${r.record_id}: ${r.status}`);
    event.target.reset();
  } catch (e) {
    say(`upload refused: ${e.message}`, true);
  }
  await refresh();
});

document.getElementById("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const payload = JSON.parse(form.get("payload") || "{}");
    const file = document.getElementById("report-geometry").files[0];
    if (file) {
      let g = JSON.parse(await file.text());
      if (g.type === "FeatureCollection") g = g.features[0];
      if (g.type === "Feature") g = g.geometry;
      payload.geometry = g;
    }
    const r = await api("/api/reports", {
      method: "POST",
      json: {
        kind: form.get("kind"),
        record_id: form.get("record_id"),
        payload,
        submit: document.getElementById("report-submit").checked,
      },
    });
    say(`report ${r.id} (${r.kind}) on ${r.record_id}: ${r.status}`);
  } catch (e) {
    say(`report refused: ${e.message}`, true);
  }
  await refresh();
});

start();
