// Region view blocks beyond the forecast table: the drivers of the selected forecast, the target mix,
// the post-occupation effects that apply to the region, and its track record (past forecasts against
// what happened). Each renders nothing when the API leaves its field out.

import { $, el, fixed, linePath, niceMax, num, pct, svg, typeLabel } from "./dom.js";
import { forestPlot, phaseLabel } from "./effects.js";

const classLabel = (name) => typeLabel(name);

/** The model's terms that moved the selected forecast most, as factors on the 12-month level. */
export function renderDrivers(row) {
  const box = $("#drivers");
  const drivers = row && Array.isArray(row.drivers) ? row.drivers : [];
  if (!row) {
    box.replaceChildren();
    return;
  }
  if (!drivers.length) {
    box.replaceChildren(el("p", { class: "muted", "data-testid": "drivers-none",
      text: "The served model records no drivers for this forecast." }));
    return;
  }
  const items = drivers.map((d) => el("li", {
    "data-testid": "driver", "data-driver": d.driver, "data-factor": d.factor, "data-effect": d.effect,
    class: d.factor > 1 ? "up" : d.factor < 1 ? "down" : "" },
  el("span", { class: "driver-name", text: d.driver }),
  el("span", { class: "driver-factor", text: `×${fixed(d.factor, 2)}` })));
  box.replaceChildren(el("ul", { class: "drivers" }, ...items),
    el("p", { class: "muted small", text: `What moved ${typeLabel(row.attack_type)} at horizon ${row.horizon} `
      + "from the region's 12-month level (×1 = no change), largest first." }));
}

/** The expected share of each target class among the region's next events (hidden when absent). */
export function renderTargetMix(forecast, h) {
  const block = $("#target-mix-block");
  const mix = Array.isArray(forecast.target_mix) ? forecast.target_mix.filter((m) => m.horizon === h) : [];
  block.hidden = !Array.isArray(forecast.target_mix);
  if (block.hidden) return;
  const box = $("#target-mix");
  if (!mix.length) {
    box.replaceChildren(el("p", { class: "muted", text: "No target mix at this horizon." }));
    return;
  }
  const rows = [...mix].sort((a, b) => b.share - a.share).map((m) => el("div", {
    class: "mix-row", "data-testid": "target-bar", "data-class": m.target_class, "data-share": m.share },
  el("span", { class: "mix-label", text: classLabel(m.target_class) }),
  el("span", { class: "mix-track" }, el("span", { class: "mix-bar target", style: `width:${(m.share * 100).toFixed(1)}%` })),
  el("span", { class: "mix-value", text: pct(m.share) })));
  box.replaceChildren(...rows, el("p", { class: "muted small",
    text: `Expected share of each target class among the next events at horizon ${h}.` }));
}

/** The pooled post-occupation effects that apply to the region now (hidden when there are none). */
export function renderPostOccupation(forecast, openEpisode) {
  const block = $("#post-occupation-block");
  const post = forecast.post_occupation;
  block.hidden = !post;
  if (!post) return;
  const effects = Array.isArray(post.effects) ? post.effects : [];
  const link = el("a", { href: `#episode=${encodeURIComponent(post.episode_id)}`, "data-testid": "post-episode-link",
    onclick: (ev) => { ev.preventDefault(); openEpisode(post.episode_id); } }, post.episode_id);
  const intro = el("p", { class: "summary", "data-testid": "post-occupation-summary",
    "data-episode": post.episode_id, "data-phase": post.phase },
  `The occupation (episode `, link, `) ended ${post.end_month}; ${post.months_since_end} months since the end `
    + `at the data cutoff (phase ${phaseLabel(post.phase)}).`);
  if (!effects.length) {
    $("#post-occupation").replaceChildren(intro, el("p", { class: "muted",
      text: "The study gives no effect for this phase." }));
    return;
  }
  const { table } = forestPlot(effects, (e) => e.placebo_share_above ?? null, "post-occupation-effects");
  $("#post-occupation").replaceChildren(intro, el("div", { class: "table-wrap" }, table));
}

function summaryTable(summary, h) {
  const rows = summary.filter((s) => s.horizon === h);
  return el("table", { class: "compact", "data-testid": "track-summary" },
    el("thead", {}, el("tr", {}, ...["Attack type", "Forecasts", "Mean abs. error", "Inside 80%", "Brier"].map(
      (t) => el("th", { scope: "col", text: t })))),
    el("tbody", {}, ...rows.map((s) => el("tr", { "data-testid": "track-summary-row", "data-type": s.attack_type,
      "data-horizon": s.horizon },
    el("td", { text: typeLabel(s.attack_type) }),
    el("td", { class: "num", "data-col": "n", text: String(s.n) }),
    el("td", { class: "num", "data-col": "mean_abs_error", "data-value": s.mean_abs_error, text: fixed(s.mean_abs_error, 2) }),
    el("td", { class: "num", "data-col": "inside_q10_q90", "data-value": s.inside_q10_q90, text: pct(s.inside_q10_q90) }),
    el("td", { class: "num", "data-col": "brier", "data-value": s.brier, text: fixed(s.brier, 3) })))));
}

function trackChart(rows, type, h) {
  const W = 300;
  const H = 130;
  const m = { l: 28, r: 8, t: 18, b: 18 };
  const n = rows.length;
  const x = (i) => m.l + (n <= 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (n - 1));
  const top = niceMax(Math.max(1, ...rows.map((r) => Math.max(r.q90, r.observed))));
  const y = (v) => H - m.b - (v * (H - m.t - m.b)) / top;
  const band = [...rows.map((r, i) => [x(i), y(r.q90)]), ...rows.map((r, i) => [x(i), y(r.q10)]).reverse()];
  const parts = [
    svg("text", { x: m.l, y: 12, class: "chart-title", text: `${typeLabel(type)}, horizon ${h}` }),
    svg("line", { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: "axis" }),
    svg("text", { x: m.l - 4, y: y(0) + 3, class: "axis-label end", text: "0" }),
    svg("text", { x: m.l - 4, y: y(top) + 3, class: "axis-label end", text: String(top) }),
    svg("text", { x: m.l, y: H - 4, class: "axis-label", text: rows[0].target_month }),
    svg("text", { x: W - m.r, y: H - 4, class: "axis-label end", text: rows[n - 1].target_month }),
    svg("polygon", { points: band.map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" "), class: "fan" }),
    svg("path", { d: linePath(rows.map((r, i) => [x(i), y(r.mean)])), class: "forecast-line" }),
  ];
  rows.forEach((r, i) => {
    const inside = r.q10 <= r.observed && r.observed <= r.q90;
    parts.push(svg("circle", { cx: x(i).toFixed(1), cy: y(r.observed).toFixed(1), r: 2.4,
      class: `track-point${inside ? "" : " outside"}`, "data-testid": "track-point", "data-origin": r.origin,
      "data-target": r.target_month, "data-mean": r.mean, "data-q10": r.q10, "data-q90": r.q90,
      "data-observed": r.observed },
    svg("title", { text: `${r.target_month} (from ${r.origin}): forecast ${num(r.mean)}, 80% ${num(r.q10)}–${num(r.q90)}; `
      + `observed ${r.observed}` })));
  });
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart track-chart", "data-testid": "track-chart",
    "data-type": type, "data-horizon": h, role: "img",
    "aria-label": `${typeLabel(type)}: past forecasts at horizon ${h} (band q10–q90, dashed mean) and the observed counts (dots)` },
  ...parts);
}

/** The region's past forecasts against what happened: a summary per type and a chart of one type. */
export function renderTrackRecord(record, type, h) {
  const box = $("#track-record");
  if (!record) {
    box.replaceChildren(el("p", { class: "muted", text: "The track record could not be read." }));
    return;
  }
  box.dataset.count = String(record.count);
  if (!record.count) {
    box.replaceChildren(el("p", { class: "muted", "data-testid": "track-none",
      text: "No track record: the served model carries no backtest forecasts." }));
    return;
  }
  const rows = record.rows.filter((r) => r.attack_type === type && r.horizon === h)
    .sort((a, b) => (a.target_month < b.target_month ? -1 : a.target_month > b.target_month ? 1 : 0));
  box.replaceChildren(
    el("p", { class: "muted small", text: `Backtest forecasts of ${record.served_model || "the served model"} `
      + `at horizon ${h}, scored against the counts that followed.` }),
    el("div", { class: "track-grid" },
      el("div", { class: "table-wrap" }, summaryTable(record.summary, h)),
      rows.length ? trackChart(rows, type, h)
        : el("p", { class: "muted", text: `No past forecast of ${typeLabel(type)} at horizon ${h}.` })));
}
