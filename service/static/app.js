// threatcast dashboard: reads the service's public JSON endpoints and draws the header, the map,
// the ranked table and the region view with plain DOM and SVG. No dependencies, no build step.

import {
  $, TIERS, addMonths, api, el, fixed, linePath, monthIndex, niceMax, num, occupationLabel, occupationRank,
  pct, ratioText, signed, svg, tierBadge, typeLabel,
} from "./dom.js";
const HISTORY_MONTHS = 36;
const MIX_RECENT_MONTHS = 12;

const state = {
  model: null,
  regions: [],
  byId: new Map(),
  types: ["all"],
  country: "",
  type: "all",
  horizon: 1,
  ranking: null,
  sort: { key: null, dir: -1 },
  selected: null,
  regionData: null,
  rankingSeq: 0,
  regionSeq: 0,
  rendered: false,
};

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

// ---- URL state -------------------------------------------------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.country = (params.get("country") || "").toUpperCase();
  state.type = params.get("type") || "all";
  const h = Number.parseInt(params.get("h") || "1", 10);
  state.horizon = Number.isFinite(h) && h >= 1 ? h : 1;
  state.selected = params.get("region");
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.country) params.set("country", state.country);
  if (state.type !== "all") params.set("type", state.type);
  if (state.horizon !== 1) params.set("h", String(state.horizon));
  if (state.selected) params.set("region", state.selected);
  const text = params.toString();
  history.replaceState(null, "", text ? `#${text}` : location.pathname + location.search);
}

// ---- header and filters ----------------------------------------------------------------------

function isSynthetic(regions) {
  return regions.some((r) => /^Demo\b/.test(r.admin1) || /\(synthetic\)/i.test(r.admin1)
    || (r.occupation && typeof r.occupation.episode_id === "string" && r.occupation.episode_id.startsWith("demo-")));
}

function renderHeader() {
  const model = state.model;
  $("#model-version").textContent = `${model.model_name} v${model.model_version}`
    + (model.alias ? ` @${model.alias}` : "");
  $("#data-cutoff").textContent = model.data_cutoff;
  $("#region-count").textContent = String(state.regions.length);
  $("#trained-at").textContent = model.trained_at ? model.trained_at.slice(0, 10) : "unknown";
  const stale = $("#stale-warning");
  stale.hidden = !model.stale;
  stale.textContent = model.stale
    ? `Stale forecasts: the data end in ${model.data_cutoff}, older than the service's freshness limit. `
      + "Retrain on recent events before relying on these numbers." : "";
  document.documentElement.dataset.stale = String(Boolean(model.stale));
  $("#synthetic-badge").hidden = !isSynthetic(state.regions);
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => el("option", { value: v, text: label })));
  select.value = value;
}

function renderFilters() {
  const counts = new Map();
  for (const r of state.regions) counts.set(r.country, (counts.get(r.country) || 0) + 1);
  const countries = [...counts.keys()].sort();
  fillSelect($("#filter-country"), [["", "All countries"],
    ...countries.map((c) => [c, `${c} (${counts.get(c)})`])], state.country);
  fillSelect($("#filter-type"), state.types.map((t) => [t, typeLabel(t)]), state.type);
  const horizons = [];
  for (let h = 1; h <= state.model.horizon; h += 1) {
    horizons.push([String(h), `${h} mo · ${addMonths(state.model.data_cutoff, h)}`]);
  }
  fillSelect($("#filter-horizon"), horizons, String(state.horizon));
}

// ---- ranking table ---------------------------------------------------------------------------

const COLUMNS = [
  { key: "rank", label: "#", value: (r) => r.rank, cls: "num" },
  { key: "country", label: "Country", value: (r) => r.country },
  { key: "admin1", label: "Admin1", value: (r) => r.admin1 },
  { key: "risk_tier", label: "Risk", value: (r) => TIERS.indexOf(r.risk_tier) + r.p_any / 2 },
  { key: "p_any", label: "P(≥1)", value: (r) => r.p_any, cls: "num" },
  { key: "mean", label: "Expected (80% interval)", value: (r) => r.mean, cls: "num" },
  { key: "change", label: "vs last 12 mo", value: (r) => r.change, cls: "num" },
  { key: "occupation", label: "Occupation", value: (r) => -occupationRank(occupationOf(r.region_id)) },
];

const occupationOf = (id) => (state.byId.get(id) || {}).occupation;

function renderTableHead() {
  const row = $("#ranking thead tr");
  row.replaceChildren(...COLUMNS.map((col) => {
    const active = state.sort.key === col.key;
    return el("th", {
      scope: "col", class: col.cls, "data-sort": col.key, tabindex: 0,
      "aria-sort": active ? (state.sort.dir > 0 ? "ascending" : "descending") : "none",
      onclick: () => sortBy(col.key),
      onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(col.key); } },
    }, col.label, el("span", { class: "arrow", "aria-hidden": "true",
      text: active ? (state.sort.dir > 0 ? "▲" : "▼") : "" }));
  }));
}

function sortBy(key) {
  if (state.sort.key === key) state.sort.dir = -state.sort.dir;
  else state.sort = { key, dir: ["country", "admin1", "rank"].includes(key) ? 1 : -1 };
  renderTable();
}

function sortedItems() {
  const items = state.ranking ? [...state.ranking.items] : [];
  const col = COLUMNS.find((c) => c.key === state.sort.key);
  if (!col) return items;
  const dir = state.sort.dir;
  return items.sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    const cmp = typeof va === "string" ? va.localeCompare(vb) : va - vb;
    return cmp * dir || a.rank - b.rank;
  });
}

function tableRow(r) {
  const occ = occupationOf(r.region_id);
  const tr = el("tr", {
    "data-testid": "ranking-row", "data-region": r.region_id, tabindex: 0,
    class: r.region_id === state.selected ? "selected" : null,
    onclick: () => selectRegion(r.region_id),
    onkeydown: (e) => { if (e.key === "Enter") selectRegion(r.region_id); },
  },
  el("td", { class: "num", "data-col": "rank", "data-value": r.rank, text: r.rank }),
  el("td", { "data-col": "country", "data-value": r.country, text: r.country }),
  el("td", { "data-col": "admin1", "data-value": r.admin1, text: r.admin1 }),
  el("td", { "data-col": "risk_tier", "data-value": r.risk_tier }, tierBadge(r.risk_tier)),
  el("td", { class: "num", "data-col": "p_any", "data-value": r.p_any, text: pct(r.p_any) }),
  el("td", { class: "num", "data-col": "mean", "data-value": r.mean, "data-q10": r.q10, "data-q90": r.q90 },
    el("span", { class: "mean", text: num(r.mean) }), " ",
    el("span", { class: "interval", text: `${num(r.q10)}–${num(r.q90)}` })),
  el("td", { class: `num change ${r.change > 0 ? "up" : r.change < 0 ? "down" : ""}`, "data-col": "change",
    "data-value": r.change, title: `last 12 months: ${fixed(r.recent_mean, 2)} a month` },
  el("span", { class: "delta", text: signed(r.change) }), " ",
  el("span", { class: "ratio", text: ratioText(r) })),
  el("td", { "data-col": "occupation", "data-value": occ ? occ.phase : "", text: occupationLabel(occ) }));
  return tr;
}

function renderTable() {
  renderTableHead();
  const table = $("#ranking");
  const body = $("tbody", table);
  const items = sortedItems();
  if (items.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: COLUMNS.length, class: "empty",
      text: "No region matches these filters." })));
  } else {
    body.replaceChildren(...items.map(tableRow));
  }
  const ranking = state.ranking;
  if (ranking) {
    table.dataset.attackType = ranking.attack_type;
    table.dataset.horizon = String(ranking.horizon);
    table.dataset.country = state.country;
    table.dataset.total = String(ranking.total);
    const target = ranking.items.length ? ranking.items[0].target_month : addMonths(ranking.data_cutoff, ranking.horizon);
    $("#ranking-caption").textContent = `${typeLabel(ranking.attack_type)}, ${target} (horizon ${ranking.horizon})`
      + ` · ${ranking.total} region${ranking.total === 1 ? "" : "s"}${state.country ? ` in ${state.country}` : ""}`;
  }
  table.setAttribute("aria-busy", "false");
  if (!state.rendered && ranking) {
    state.rendered = true;
    performance.mark("threatcast:table-rendered");
    document.documentElement.dataset.firstRenderMs = String(Math.round(performance.now()));
  }
}

async function loadRanking() {
  const seq = ++state.rankingSeq;
  const params = new URLSearchParams({ attack_type: state.type, horizon: String(state.horizon), top: "1000" });
  if (state.country) params.set("country", state.country);
  $("#ranking").setAttribute("aria-busy", "true");
  const body = await api(`/v1/forecasts?${params}`);
  if (seq !== state.rankingSeq) return;
  state.ranking = body;
  renderTable();
  renderMap();
}

// ---- map -------------------------------------------------------------------------------------

const MAP_W = 640;

function mapFrame(points) {
  let [west, east, south, north] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points) {
    west = Math.min(west, p.longitude); east = Math.max(east, p.longitude);
    south = Math.min(south, p.latitude); north = Math.max(north, p.latitude);
  }
  const padX = Math.max((east - west) * 0.06, 0.75);
  const padY = Math.max((north - south) * 0.08, 0.75);
  west -= padX; east += padX; south -= padY; north += padY;
  const k = Math.cos((((north + south) / 2) * Math.PI) / 180);
  const spanX = (east - west) * k;
  const spanY = north - south;
  const height = Math.round(Math.min(Math.max((MAP_W * spanY) / spanX, 260), 560));
  const scale = Math.min(MAP_W / spanX, height / spanY);
  const offX = (MAP_W - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return {
    west, east, south, north, height,
    x: (lon) => offX + (lon - west) * k * scale,
    y: (lat) => offY + (north - lat) * scale,
  };
}

function graticule(frame) {
  const span = Math.max(frame.east - frame.west, frame.north - frame.south);
  const step = [1, 2, 5, 10, 15, 20, 30, 45].find((s) => span / s <= 6) || 60;
  const lines = [];
  for (let lon = Math.ceil(frame.west / step) * step; lon <= frame.east; lon += step) {
    const x = frame.x(lon);
    if (x > MAP_W - 24) continue;
    lines.push(svg("line", { x1: x, x2: x, y1: 0, y2: frame.height, class: "grid" }),
      svg("text", { x: x + 3, y: frame.height - 4, class: "grid-label", text: `${lon}°` }));
  }
  for (let lat = Math.ceil(frame.south / step) * step; lat <= frame.north; lat += step) {
    const y = frame.y(lat);
    if (y < 14) continue;
    lines.push(svg("line", { x1: 0, x2: MAP_W, y1: y, y2: y, class: "grid" }),
      svg("text", { x: 3, y: y - 3, class: "grid-label", text: `${lat}°` }));
  }
  return lines;
}

function renderMap() {
  const map = $("#map");
  const points = state.regions.filter((r) => Number.isFinite(r.latitude) && Number.isFinite(r.longitude));
  if (points.length === 0) {
    map.replaceChildren(svg("text", { x: 20, y: 40, text: "No region has coordinates." }));
    return;
  }
  const frame = mapFrame(points);
  map.setAttribute("viewBox", `0 0 ${MAP_W} ${frame.height}`);
  const rows = new Map((state.ranking ? state.ranking.items : []).map((r) => [r.region_id, r]));
  const maxMean = Math.max(0, ...[...rows.values()].map((r) => r.mean));
  const radius = (r) => (r ? 4 + 9 * Math.sqrt(maxMean > 0 ? r.mean / maxMean : 0) : 3);
  const byCountry = new Map();
  for (const p of points) {
    if (!byCountry.has(p.country)) byCountry.set(p.country, []);
    byCountry.get(p.country).push(p);
  }
  const labels = [...byCountry.entries()].map(([country, ps]) => {
    const lon = ps.reduce((s, p) => s + p.longitude, 0) / ps.length;
    const lat = Math.max(...ps.map((p) => p.latitude));
    return svg("text", { x: frame.x(lon), y: frame.y(lat) - 14, class: "country-label", text: country });
  });
  const ordered = [...points].sort((a, b) => radius(rows.get(b.region_id)) - radius(rows.get(a.region_id)));
  const circles = ordered.map((p) => {
    const r = rows.get(p.region_id);
    const title = r
      ? `${p.admin1}, ${p.country}: ${r.risk_tier}, P(≥1) ${pct(r.p_any)}, expected ${num(r.mean)} (${num(r.q10)}–${num(r.q90)})`
      : `${p.admin1}, ${p.country}`;
    return svg("circle", {
      cx: frame.x(p.longitude).toFixed(1), cy: frame.y(p.latitude).toFixed(1), r: radius(r).toFixed(2),
      class: `point ${r ? `tier-${r.risk_tier}` : "out"}${p.region_id === state.selected ? " selected" : ""}`,
      "data-testid": "map-point", "data-region": p.region_id, "data-tier": r ? r.risk_tier : null,
      "data-mean": r ? r.mean : null, "data-p-any": r ? r.p_any : null, tabindex: 0, role: "button",
      "aria-label": title,
      onclick: () => selectRegion(p.region_id),
      onkeydown: (e) => { if (e.key === "Enter") selectRegion(p.region_id); },
    }, svg("title", { text: title }));
  });
  map.replaceChildren(svg("rect", { x: 0, y: 0, width: MAP_W, height: frame.height, class: "sea" }),
    ...graticule(frame), ...labels, ...circles);
  const missing = state.regions.length - points.length;
  $("#map-caption").textContent = `${typeLabel(state.type)}, horizon ${state.horizon}`
    + (missing ? ` · ${missing} region${missing === 1 ? "" : "s"} without coordinates` : "");
}

function renderLegend() {
  const items = TIERS.map((t) => el("span", { class: "legend-item" },
    el("span", { class: `swatch tier-${t}` }), t));
  $("#legend").replaceChildren(...items,
    el("span", { class: "legend-item note", text: "circle area ∝ expected count" }));
}

// ---- region view -----------------------------------------------------------------------------

async function selectRegion(id, scroll = true) {
  if (!state.byId.has(id)) return;
  state.selected = id;
  writeHash();
  for (const node of document.querySelectorAll("[data-region].selected")) node.classList.remove("selected");
  for (const node of document.querySelectorAll(`[data-region="${CSS.escape(id)}"]`)) node.classList.add("selected");
  const view = $("#region-view");
  view.hidden = false;
  view.setAttribute("aria-busy", "true");
  const seq = ++state.regionSeq;
  const path = `/v1/regions/${encodeURIComponent(id)}`;
  try {
    const [detail, history, forecast] = await Promise.all([
      api(path), api(`${path}/history?months=${HISTORY_MONTHS}`), api(`${path}/forecast`)]);
    if (seq !== state.regionSeq) return;
    state.regionData = { detail, history, forecast };
    renderRegion();
    view.dataset.region = id;
    view.setAttribute("aria-busy", "false");
    if (scroll) view.scrollIntoView({ block: "start" });
  } catch (err) {
    if (seq === state.regionSeq) {
      view.setAttribute("aria-busy", "false");
      showError(String(err.message || err));
    }
  }
}

function closeRegion() {
  state.selected = null;
  state.regionData = null;
  state.regionSeq += 1;
  $("#region-view").hidden = true;
  delete $("#region-view").dataset.region;
  for (const node of document.querySelectorAll("[data-region].selected")) node.classList.remove("selected");
  writeHash();
}

function renderRegion() {
  const data = state.regionData;
  if (!data) return;
  const { detail, history, forecast } = data;
  const h = Math.min(state.horizon, state.model.horizon);
  $("#region-title").textContent = `${detail.admin1}, ${detail.country}`;
  $("#region-title").append(el("small", { text: ` ${detail.region_id}` }));
  const rows = forecast.forecasts.filter((r) => r.horizon === h);
  const current = rows.find((r) => r.attack_type === state.type) || rows[0];
  const summary = $("#region-summary");
  summary.replaceChildren();
  if (current) {
    summary.append(`${typeLabel(current.attack_type)} in ${current.target_month} (horizon ${h}): expected `,
      el("strong", { "data-testid": "summary-mean", text: num(current.mean) }),
      ` (80%: ${num(current.q10)}–${num(current.q90)}), P(≥1) `,
      el("strong", { "data-testid": "summary-p-any", text: pct(current.p_any) }), ", ",
      tierBadge(current.risk_tier),
      `; last 12 months averaged ${fixed(current.recent_mean, 2)} a month.`);
  }
  renderRegionForecast(rows);
  renderMix(forecast, history, h);
  renderOccupation(detail);
  renderCharts(history, forecast);
}

function renderRegionForecast(rows) {
  const order = (t) => (t === "all" ? -1 : state.types.indexOf(t));
  const sorted = [...rows].sort((a, b) => order(a.attack_type) - order(b.attack_type));
  $("#region-forecast tbody").replaceChildren(...sorted.map((r) => el("tr", {
    "data-testid": "region-forecast-row", "data-type": r.attack_type,
    class: r.attack_type === state.type ? "selected" : null,
  },
  el("td", { text: typeLabel(r.attack_type) }),
  el("td", { class: "num", "data-col": "mean", "data-value": r.mean, text: num(r.mean) }),
  el("td", { class: "num", "data-col": "interval", text: `${num(r.q10)}–${num(r.q90)}` }),
  el("td", { class: "num", "data-col": "p_any", "data-value": r.p_any, text: pct(r.p_any) }),
  el("td", { "data-col": "risk_tier" }, tierBadge(r.risk_tier)),
  el("td", { class: "num", "data-col": "change", "data-value": r.change, text: signed(r.change) }))));
}

function renderMix(forecast, history, h) {
  const shares = forecast.tactic_mix.filter((m) => m.horizon === h).sort((a, b) => b.share - a.share);
  const recent = new Map();
  let total = 0;
  for (const [type, counts] of Object.entries(history.counts)) {
    if (type === "all") continue;
    const sum = counts.slice(-MIX_RECENT_MONTHS).reduce((s, v) => s + (v || 0), 0);
    recent.set(type, sum);
    total += sum;
  }
  const box = $("#tactic-mix");
  if (shares.length === 0) {
    box.replaceChildren(el("p", { class: "muted", text: "No tactic mix at this horizon." }));
    return;
  }
  const rows = shares.map((m) => {
    const observed = total > 0 ? (recent.get(m.attack_type) || 0) / total : 0;
    return el("div", { class: "mix-row", "data-testid": "mix-bar", "data-type": m.attack_type, "data-share": m.share },
      el("span", { class: "mix-label", text: typeLabel(m.attack_type) }),
      el("span", { class: "mix-track" },
        el("span", { class: "mix-bar", style: `width:${(m.share * 100).toFixed(1)}%` }),
        el("span", { class: "mix-observed", style: `left:${(observed * 100).toFixed(1)}%`,
          title: `last ${MIX_RECENT_MONTHS} months: ${pct(observed)}` })),
      el("span", { class: "mix-value", text: pct(m.share) }));
  });
  box.replaceChildren(...rows, el("p", { class: "muted small",
    text: `Bars: expected share at horizon ${h} (${forecast.tactic_mix_source === "model" ? "tactic-mix model" : "shares of the forecast means"}); `
      + `tick: observed share over the last ${MIX_RECENT_MONTHS} months.` }));
}

function renderOccupation(detail) {
  const occ = detail.occupation;
  const status = $("#occupation-status");
  const timeline = $("#occupation-timeline");
  status.dataset.phase = occ.phase;
  if (occ.phase === "never" && detail.episodes.length === 0) {
    status.textContent = "No occupation episode in the catalog for this region.";
    timeline.replaceChildren();
    return;
  }
  status.textContent = occ.phase === "during"
    ? `Occupied at the data cutoff (episode ${occ.episode_id}).`
    : occ.phase === "after"
      ? `Post-occupation: ${occ.months_since_end} months since the end of episode ${occ.episode_id} at the data cutoff.`
      : "No occupation at the data cutoff.";
  const cutoff = monthIndex(state.model.data_cutoff);
  const end = cutoff + state.model.horizon;
  const starts = detail.episodes.map((e) => monthIndex(e.start_month));
  const begin = Math.min(cutoff - 24, ...starts) - 6;
  const W = 360;
  const rowH = 34;
  const H = 34 + rowH * detail.episodes.length;
  const x = (m) => 8 + ((m - begin) * (W - 16)) / (end - begin);
  const parts = [];
  for (let year = Math.ceil(begin / 12); year * 12 <= end; year += 1) {
    const step = end - begin > 180 ? 5 : end - begin > 72 ? 2 : 1;
    if (year % step || x(year * 12) > W - 26) continue;
    parts.push(svg("line", { x1: x(year * 12), x2: x(year * 12), y1: 14, y2: H - 14, class: "grid" }),
      svg("text", { x: x(year * 12) + 2, y: H - 3, class: "axis-label", text: String(year) }));
  }
  detail.episodes.forEach((e, i) => {
    const y = 16 + i * rowH;
    const s = monthIndex(e.start_month);
    const f = e.end_month ? monthIndex(e.end_month) : cutoff;
    parts.push(svg("rect", { x: x(s), y, width: Math.max(x(f) - x(s), 2), height: 12, class: "episode",
      "data-testid": "episode", "data-episode": e.episode_id, "data-start": e.start_month, "data-end": e.end_month || "" },
    svg("title", { text: `${e.episode_id}: ${e.start_month} – ${e.end_month || "ongoing"}${e.groups ? ` (${e.groups})` : ""}` })));
    if (e.end_month && f < cutoff) {
      const since = cutoff - f;
      parts.push(svg("rect", { x: x(f), y: y + 3, width: x(cutoff) - x(f), height: 6, class: "post-episode" },
        svg("title", { text: `${since} months from the end to the data cutoff` })));
      if (x(cutoff) - x(f) > 70) {
        parts.push(svg("text", { x: (x(f) + x(cutoff)) / 2, y: y + 24, class: "axis-label middle",
          text: `${since} mo since end` }));
      }
    }
    const label = `${e.start_month} – ${e.end_month || "ongoing"}`;
    parts.push(svg("text", { x: Math.max(4, Math.min(x(s), W - 110)), y: y + 24, class: "axis-label",
      text: label }));
  });
  parts.push(svg("line", { x1: x(cutoff), x2: x(cutoff), y1: 13, y2: H - 14, class: "cutoff" }),
    svg("text", { x: x(cutoff) - 3, y: 10, class: "axis-label end", text: `cutoff ${state.model.data_cutoff}` }));
  timeline.replaceChildren(svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "timeline", role: "img",
    "aria-label": "Occupation episodes and the post-occupation period up to the data cutoff" }, ...parts));
}

function historyChart(type, months, counts, rows) {
  const W = 300;
  const H = 140;
  const m = { l: 28, r: 8, t: 20, b: 18 };
  const future = rows.filter((r) => r.attack_type === type).sort((a, b) => a.horizon - b.horizon);
  const n = months.length + future.length;
  const x = (i) => m.l + (n <= 1 ? 0 : (i * (W - m.l - m.r)) / (n - 1));
  const observed = counts.filter((v) => v !== null);
  const top = niceMax(Math.max(1, ...observed, ...future.map((r) => r.q90)));
  const y = (v) => H - m.b - (v * (H - m.t - m.b)) / top;
  const i0 = months.length - 1;
  const last = counts[i0] ?? 0;
  const upper = [[x(i0), y(last)], ...future.map((r, j) => [x(i0 + 1 + j), y(r.q90)])];
  const lower = future.map((r, j) => [x(i0 + 1 + j), y(r.q10)]).reverse();
  const parts = [
    svg("text", { x: m.l, y: 13, class: "chart-title", text: typeLabel(type) }),
    svg("line", { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: "axis" }),
    svg("line", { x1: m.l, x2: W - m.r, y1: y(top), y2: y(top), class: "grid" }),
    svg("text", { x: m.l - 4, y: y(0) + 3, class: "axis-label end", text: "0" }),
    svg("text", { x: m.l - 4, y: y(top) + 3, class: "axis-label end", text: String(top) }),
    svg("text", { x: m.l, y: H - 4, class: "axis-label", text: months[0] }),
    svg("text", { x: W - m.r, y: H - 4, class: "axis-label end",
      text: future.length ? future[future.length - 1].target_month : months[i0] }),
  ];
  if (future.length) {
    parts.push(
      svg("polygon", { points: [...upper, ...lower, [x(i0), y(last)]].map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" "),
        class: "fan", "data-testid": "fan" }),
      svg("path", { d: linePath([[x(i0), y(last)], ...future.map((r, j) => [x(i0 + 1 + j), y(r.mean)])]),
        class: "forecast-line" }));
  }
  parts.push(
    svg("line", { x1: x(i0), x2: x(i0), y1: m.t, y2: y(0), class: "cutoff" }),
    svg("path", { d: linePath(counts.map((v, i) => (v === null ? null : [x(i), y(v)]))), class: "history-line",
      "data-testid": "history-line", "data-counts": JSON.stringify(counts) }));
  for (const [j, r] of future.entries()) {
    parts.push(svg("circle", { cx: x(i0 + 1 + j).toFixed(1), cy: y(r.mean).toFixed(1), r: r.horizon === state.horizon ? 3 : 1.6,
      class: r.horizon === state.horizon ? "fan-point current" : "fan-point", "data-testid": "fan-point",
      "data-horizon": r.horizon, "data-mean": r.mean, "data-q10": r.q10, "data-q90": r.q90 },
    svg("title", { text: `${r.target_month}: expected ${num(r.mean)}, 80% ${num(r.q10)}–${num(r.q90)}` })));
  }
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, class: `chart${type === state.type ? " selected" : ""}`,
    "data-testid": "history-chart", "data-type": type, role: "img",
    "aria-label": `${typeLabel(type)}: monthly counts from ${months[0]} and the forecast fan` }, ...parts);
}

function renderCharts(history, forecast) {
  const types = Object.keys(history.counts);
  types.sort((a, b) => (a === "all" ? -1 : b === "all" ? 1 : state.types.indexOf(a) - state.types.indexOf(b)));
  $("#history-charts").replaceChildren(...types.map((t) => historyChart(t, history.months, history.counts[t],
    forecast.forecasts)));
}

// ---- wiring ----------------------------------------------------------------------------------

async function refresh() {
  writeHash();
  try {
    showError("");
    await loadRanking();
    renderRegion();
  } catch (err) {
    showError(String(err.message || err));
  }
}

function bind() {
  $("#filter-country").addEventListener("change", (e) => { state.country = e.target.value; refresh(); });
  $("#filter-type").addEventListener("change", (e) => { state.type = e.target.value; refresh(); });
  $("#filter-horizon").addEventListener("change", (e) => {
    state.horizon = Number.parseInt(e.target.value, 10);
    refresh();
  });
  $("#region-close").addEventListener("click", closeRegion);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.selected) closeRegion(); });
}

async function loadTypes() {
  const first = state.regions[0];
  if (!first) return;
  const body = await api(`/v1/regions/${encodeURIComponent(first.region_id)}/forecast?horizon=1`);
  const types = [...new Set(body.forecasts.map((r) => r.attack_type))];
  state.types = ["all", ...types.filter((t) => t !== "all")];
  fillSelect($("#filter-type"), state.types.map((t) => [t, typeLabel(t)]), state.type);
}

async function init() {
  readHash();
  bind();
  renderLegend();
  try {
    const ranking = loadRankingFirst();
    ranking.catch(() => null);
    const [model, regions] = await Promise.all([api("/v1/model"), api("/v1/regions")]);
    state.model = model;
    state.regions = regions.regions;
    state.byId = new Map(state.regions.map((r) => [r.region_id, r]));
    if (!state.types.includes(state.type)) state.types.push(state.type);
    renderHeader();
    state.ranking = await ranking;
    renderFilters();
    renderTable();
    renderMap();
  } catch (err) {
    showError(`The dashboard could not load: ${err.message || err}`);
    $("#ranking").setAttribute("aria-busy", "false");
    return;
  }
  loadTypes().catch((err) => showError(String(err.message || err)));
  if (state.selected && state.byId.has(state.selected)) selectRegion(state.selected, false);
  else state.selected = null;
}

async function loadRankingFirst() {
  const params = new URLSearchParams({ attack_type: state.type, horizon: String(state.horizon), top: "1000" });
  if (state.country) params.set("country", state.country);
  try {
    return await api(`/v1/forecasts?${params}`);
  } catch {
    // a stale link (unknown country, type or horizon): fall back to the defaults
    state.country = "";
    state.type = "all";
    state.horizon = 1;
    writeHash();
    return api("/v1/forecasts?attack_type=all&horizon=1&top=1000");
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
