// The "After occupation" view: the episode catalog, and for one episode its region's monthly counts
// by attack type around the end month, the pooled rate ratios (forest plot) and the placebo test.
// The episode list loads when the view first opens; "episode-list" and "episode-detail" test ids are
// set only once their rendering has finished.

import { $, api, el, fixed, linePath, monthIndex, niceMax, pct, svg, typeLabel } from "./dom.js";
import { forestPlot, hasEstimate, isUnbounded, phaseLabel, rateRatioText } from "./effects.js";

const COLOURS = ["#1f5f8b", "#d9462f", "#7a3e9d", "#2e7d32", "#f0913f", "#8c1237", "#00838f", "#6d4c41",
  "#c2185b", "#5d676e"];

/**
 * The view bound to the page. ``hooks.openRegion(id)`` opens a region's forecast view,
 * ``hooks.selected(id)`` records the selected episode (the URL hash), ``hooks.error(message)`` shows
 * an error, ``hooks.hasRegion(id)`` says whether the model covers a region.
 */
export function createEpisodesView(hooks) {
  const view = $("#episodes-view");
  const listBox = $("#episode-list-box");
  const detailBox = $("#episode-detail");
  let list = null;
  let loading = null;
  let seq = 0;

  async function loadList() {
    if (list) return list;
    if (!loading) {
      loading = api("/v1/episodes").then((body) => { list = body; return body; })
        .finally(() => { loading = null; });
    }
    return loading;
  }

  async function open(episodeId) {
    view.hidden = false;
    const mine = ++seq;
    view.setAttribute("aria-busy", "true");
    try {
      if (!list) {
        listBox.removeAttribute("data-testid");
        listBox.replaceChildren(el("p", { class: "muted", text: "Loading the episodes…" }));
      }
      const body = await loadList();
      if (mine !== seq) return;
      renderList(body, episodeId);
      const chosen = episodeId && body.episodes.some((e) => e.episode_id === episodeId) ? episodeId : null;
      if (chosen) await showEpisode(chosen, mine);
      else {
        detailBox.removeAttribute("data-testid");
        detailBox.replaceChildren(el("p", { class: "muted", text: body.episodes.length
          ? "Choose an episode to see its region's attacks around the end of the occupation."
          : "The served model's catalog holds no occupation episode." }));
      }
    } catch (err) {
      if (mine === seq) hooks.error(String(err.message || err));
    } finally {
      if (mine === seq) view.setAttribute("aria-busy", "false");
    }
  }

  function close() {
    seq += 1;
    view.hidden = true;
    view.setAttribute("aria-busy", "false");
  }

  function renderList(body, selected) {
    const rows = body.episodes.map((e) => el("tr", {
      "data-testid": "episode-row", "data-episode": e.episode_id, tabindex: 0,
      class: e.episode_id === selected ? "selected" : null,
      "aria-selected": String(e.episode_id === selected),
      onclick: () => choose(e.episode_id),
      onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(e.episode_id); } },
    },
    el("td", { "data-col": "episode_id", text: e.episode_id }),
    el("td", { "data-col": "region", "data-value": e.region_id, text: `${e.admin1}, ${e.country}` }),
    el("td", { "data-col": "start", text: e.start_month }),
    el("td", { "data-col": "end", text: e.end_month || "ongoing" }),
    el("td", { "data-col": "phase", text: e.phase }),
    el("td", { class: "num", "data-col": "months_since_end",
      text: e.months_since_end === null ? "" : String(e.months_since_end) }),
    el("td", { "data-col": "study", "data-value": String(e.used_in_study),
      text: e.used_in_study ? "used" : `not used: ${e.study_reason}` })));
    const table = el("table", { class: "compact episode-list" },
      el("caption", { class: "muted small",
        text: `${body.count} episode${body.count === 1 ? "" : "s"} in the catalog; phase and months since the end `
          + `at the data cutoff ${body.data_cutoff}.` }),
      el("thead", {}, el("tr", {}, ...["Episode", "Region", "Start", "End", "Phase", "Months since end",
        "Study"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows));
    listBox.replaceChildren(el("div", { class: "table-wrap" }, table));
    listBox.dataset.count = String(body.count);
    listBox.setAttribute("data-testid", "episode-list");
  }

  function choose(id) {
    hooks.selected(id);
    open(id);
  }

  async function showEpisode(id, mine) {
    detailBox.removeAttribute("data-testid");
    detailBox.setAttribute("aria-busy", "true");
    const detail = await api(`/v1/episodes/${encodeURIComponent(id)}`);
    if (mine !== seq) return;
    renderDetail(detail);
    detailBox.dataset.episode = id;
    detailBox.setAttribute("aria-busy", "false");
    detailBox.setAttribute("data-testid", "episode-detail");
  }

  function renderDetail(detail) {
    const e = detail.episode;
    const title = el("h3", { class: "episode-title", text: `${e.episode_id} · ${e.admin1}, ${e.country}` });
    const status = e.phase === "after"
      ? `${e.months_since_end} months after its end at the data cutoff`
      : e.phase === "during" ? "ongoing at the data cutoff" : "not started at the data cutoff";
    const facts = el("p", { class: "summary", "data-testid": "episode-summary" },
      `Occupation from ${e.start_month} to ${e.end_month || "the data cutoff (ongoing)"}`,
      e.groups ? ` (${e.groups})` : "", `; ${status}. `,
      e.used_in_study ? "The episode study used it." : `The study did not use it: ${e.study_reason}.`);
    const link = hooks.hasRegion(e.region_id)
      ? el("a", { href: `#region=${encodeURIComponent(e.region_id)}`, class: "region-link",
        "data-testid": "episode-region-link", "data-region": e.region_id,
        onclick: (ev) => { ev.preventDefault(); hooks.openRegion(e.region_id); } },
      `Open the forecast of ${e.admin1} →`)
      : el("p", { class: "muted", text: "The served model does not cover this region." });
    detailBox.replaceChildren(title, facts, link,
      el("h4", { text: "Monthly attacks by type around the end of the occupation" }),
      timeline(detail),
      el("h4", { text: "Pooled rate ratios after occupations" }),
      ...effectsBlock(detail),
      ...sharesBlock(detail.shares));
  }

  return { open, close, reset: () => { list = null; } };
}

function timeline(detail) {
  const e = detail.episode;
  if (!detail.months.length) {
    return el("p", { class: "muted", "data-testid": "episode-timeline", "data-series": "0",
      text: "The model's data hold no month of this region between 24 months before the start and 36 months after the end." });
  }
  const types = Object.keys(detail.counts).filter((t) => t !== "all");
  const shown = types.filter((t) => detail.counts[t].some((v) => v > 0));
  const quiet = types.filter((t) => !shown.includes(t));
  const W = 640;
  const H = 220;
  const m = { l: 30, r: 10, t: 16, b: 34 };
  const since = detail.months_since_end;
  const first = since[0];
  const last = since[since.length - 1];
  const x = (k) => m.l + (last === first ? 0 : ((k - first) * (W - m.l - m.r)) / (last - first));
  const top = niceMax(Math.max(1, ...shown.flatMap((t) => detail.counts[t])));
  const y = (v) => H - m.b - (v * (H - m.t - m.b)) / top;
  const endLabel = e.end_month ? `end ${e.end_month}` : "cutoff (ongoing)";
  const startOffset = monthIndex(e.start_month) - monthIndex(e.end_month || detail.months[detail.months.length - 1]);
  const parts = [
    svg("rect", { x: x(Math.max(startOffset, first)), y: m.t, height: H - m.t - m.b,
      width: Math.max(x(0) - x(Math.max(startOffset, first)), 1), class: "during-band" },
    svg("title", { text: `occupied ${e.start_month} – ${e.end_month || "ongoing"}` })),
    svg("line", { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: "axis" }),
    svg("line", { x1: m.l, x2: W - m.r, y1: y(top), y2: y(top), class: "grid" }),
    svg("text", { x: m.l - 4, y: y(0) + 3, class: "axis-label end", text: "0" }),
    svg("text", { x: m.l - 4, y: y(top) + 3, class: "axis-label end", text: String(top) }),
  ];
  for (let k = Math.ceil(first / 6) * 6; k <= last; k += 6) {
    parts.push(svg("line", { x1: x(k), x2: x(k), y1: y(0), y2: y(0) + 4, class: "axis" }),
      svg("text", { x: x(k), y: y(0) + 14, class: "axis-label middle", text: k > 0 ? `+${k}` : String(k) }));
  }
  parts.push(
    svg("text", { x: m.l, y: H - 4, class: "axis-label", text: detail.months[0] }),
    svg("text", { x: W - m.r, y: H - 4, class: "axis-label end", text: detail.months[detail.months.length - 1] }),
    svg("text", { x: (m.l + W - m.r) / 2, y: H - 4, class: "axis-label middle", text: "months from the end" }));
  shown.forEach((t, i) => {
    const counts = detail.counts[t];
    parts.push(svg("path", { d: linePath(counts.map((v, k) => [x(since[k]), y(v)])), class: "series",
      stroke: COLOURS[i % COLOURS.length], "data-testid": "timeline-series", "data-type": t,
      "data-counts": JSON.stringify(counts) },
    svg("title", { text: `${typeLabel(t)}: ${counts.reduce((s, v) => s + v, 0)} attacks in the window` })));
  });
  if (since.includes(0)) {
    parts.push(svg("line", { x1: x(0), x2: x(0), y1: m.t - 6, y2: y(0), class: "end-marker",
      "data-testid": "end-marker", "data-month": e.end_month || "" }),
    svg("text", { x: x(0) + 3, y: m.t - 2, class: "axis-label", text: endLabel }));
  }
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "episode-chart", role: "img",
    "aria-label": `${e.admin1}: monthly attacks by type from ${detail.months[0]} to `
      + `${detail.months[detail.months.length - 1]}, ${endLabel}` }, ...parts);
  const legend = el("div", { class: "legend" }, ...shown.map((t, i) => el("span", { class: "legend-item" },
    el("span", { class: "swatch", style: `background:${COLOURS[i % COLOURS.length]}` }), typeLabel(t))),
  quiet.length ? el("span", { class: "legend-item note", text: `no events: ${quiet.map(typeLabel).join(", ")}` })
    : null);
  return el("div", { "data-testid": "episode-timeline", "data-series": String(shown.length),
    "data-months": JSON.stringify(detail.months) }, chart, legend);
}

function effectsBlock(detail) {
  const placebo = new Map((detail.placebo || []).map((p) => [`${p.attack_type}|${p.phase}`, p]));
  const { table, drawn, skipped } = forestPlot(detail.effects || [],
    (e) => (placebo.get(`${e.attack_type}|${e.phase}`) || {}).share_above ?? null);
  if (!drawn.length) {
    return [el("p", { class: "muted", "data-testid": "forest-plot", text: (detail.effects || []).length
      ? "The study gave no finite rate ratio." : "The served model carries no episode study." })];
  }
  const draws = (detail.placebo || []).reduce((n, p) => Math.max(n, p.draws || 0), 0);
  const notable = drawn.filter((e) => (e.ci_low > 1 || isUnbounded(e)) && hasEstimate(e));
  const sentence = [];
  if (notable.length) {
    sentence.push(`Above 1 with its whole interval: ${notable.map((e) =>
      `${typeLabel(e.attack_type)} ${phaseLabel(e.phase)} (${rateRatioText(e)})`).join("; ")}. `);
  }
  sentence.push(draws
    ? `Placebo test: ${draws} draws of fake occupations in never-occupied regions; the last column is the share `
      + "of placebo estimates at or above the real one (small = above noise)."
    : "The study of this model ran no placebo draws.");
  return [el("div", { class: "table-wrap" }, table),
    el("p", { class: "muted small", "data-testid": "placebo-summary", "data-draws": String(draws) },
      ...sentence, skipped ? ` ${skipped} type-phase pairs have no estimate (no events before or in the phase).` : "")];
}

function sharesBlock(shares) {
  const rows = (shares || []).filter((s) => (s.n_before || 0) + (s.n_after || 0) > 0);
  if (!rows.length) return [];
  const signed = (v) => `${v > 0 ? "+" : ""}${fixed(v * 100, 0)} pt`;
  return [el("h4", { text: "Tactic shares before/during and after" }),
    el("div", { class: "table-wrap" }, el("table", { class: "compact", "data-testid": "episode-shares" },
      el("thead", {}, el("tr", {}, ...["Attack type", "Before/during", "After", "Shift (interval)"].map((h) =>
        el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map((s) => el("tr", { "data-type": s.attack_type },
        el("td", { text: typeLabel(s.attack_type) }),
        el("td", { class: "num", text: pct(s.share_before) }),
        el("td", { class: "num", text: pct(s.share_after) }),
        el("td", { class: "num", text: `${signed(s.shift)} (${signed(s.ci_low)} to ${signed(s.ci_high)})` })))))),
  ];
}
