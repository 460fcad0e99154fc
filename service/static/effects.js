// Post-occupation rate ratios: their labels and the forest plot (log scale, a line at 1, one row per
// attack type and phase, intervals that have no upper end drawn as an arrow).

import { el, fixed, pct, svg, typeLabel } from "./dom.js";

const PLOT_W = 220;
const PLOT_H = 16;
const PAD = 8;

/** "during" or "1–6 mo after" for a study phase name such as "after_1_6". */
export function phaseLabel(phase) {
  if (phase === "during") return "during";
  const bins = /^after_(\d+)_(\d+)$/.exec(phase || "");
  return bins ? `${bins[1]}–${bins[2]} mo after` : String(phase);
}

/** True when the ratio has no finite upper end: events in the phase, none before the occupation. */
export function isUnbounded(effect) {
  if (typeof effect.unbounded === "boolean") return effect.unbounded;
  return effect.rate_ratio === null && effect.ci_low !== null && effect.ci_low !== undefined
    && (effect.ci_high === null || effect.ci_high === undefined);
}

/** An effect the plot can draw: a finite ratio, or an unbounded one with a lower end. */
export function hasEstimate(effect) {
  return (effect.rate_ratio !== null && effect.rate_ratio !== undefined && Number.isFinite(effect.rate_ratio))
    || isUnbounded(effect);
}

const two = (x) => fixed(x, 2);

/** The rate ratio as text: "1.00", or "≥ 5.56" when unbounded. */
export function rateRatioText(effect) {
  if (effect.rate_ratio !== null && effect.rate_ratio !== undefined) return two(effect.rate_ratio);
  return isUnbounded(effect) ? `≥ ${two(effect.ci_low)}` : "no estimate";
}

/** The 95% interval as text: "0.31–2.88", "5.56–∞". */
export function intervalText(effect) {
  const low = effect.ci_low === null || effect.ci_low === undefined ? "0" : two(effect.ci_low);
  const high = effect.ci_high === null || effect.ci_high === undefined ? "∞" : two(effect.ci_high);
  return `${low}–${high}`;
}

/** Share of placebo estimates at or above the real one, as text ("—" when there is none). */
export function placeboText(share) {
  return share === null || share === undefined ? "—" : pct(share);
}

function logScale(effects) {
  const values = [1];
  for (const e of effects) {
    for (const v of [e.rate_ratio, e.ci_low, e.ci_high]) {
      if (v !== null && v !== undefined && Number.isFinite(v) && v > 0) values.push(v);
    }
  }
  const lo = Math.log10(Math.min(...values)) - 0.15;
  const hi = Math.log10(Math.max(...values)) + 0.15;
  const span = Math.max(hi - lo, 0.5);
  const x = (v) => PAD + ((Math.log10(v) - lo) * (PLOT_W - 2 * PAD)) / span;
  return { lo, hi: lo + span, x, left: PAD / 2, right: PLOT_W - PAD / 2 };
}

function ticks(scale) {
  const out = [];
  for (let p = Math.floor(scale.lo); p <= Math.ceil(scale.hi); p += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      const at = Math.log10(v);
      if (at >= scale.lo && at <= scale.hi) out.push(v);
    }
  }
  return out.length > 7 ? out.filter((v) => Math.abs(Math.log10(v) % 1) < 1e-9) : out;
}

function tickText(v) {
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1)));
}

function axis(scale) {
  const parts = [svg("line", { x1: scale.x(1), x2: scale.x(1), y1: 0, y2: 22, class: "ref-line" })];
  for (const v of ticks(scale)) {
    parts.push(svg("text", { x: scale.x(v), y: 12, class: "axis-label middle", text: tickText(v) }));
  }
  return svg("svg", { viewBox: `0 0 ${PLOT_W} 22`, width: PLOT_W, height: 22, class: "forest-axis",
    "aria-hidden": "true" }, ...parts);
}

function mark(effect, scale) {
  const y = PLOT_H / 2;
  const unbounded = isUnbounded(effect);
  const low = effect.ci_low > 0 ? Math.max(scale.x(effect.ci_low), scale.left) : scale.left;
  const high = effect.ci_high > 0 ? Math.min(scale.x(effect.ci_high), scale.right) : scale.right;
  const parts = [
    svg("line", { x1: scale.x(1), x2: scale.x(1), y1: 0, y2: PLOT_H, class: "ref-line" }),
    svg("line", { x1: low.toFixed(1), x2: (unbounded ? high - 5 : high).toFixed(1), y1: y, y2: y,
      class: "effect-interval", "data-testid": "effect-interval" }),
  ];
  if (unbounded) {
    parts.push(svg("polygon", { class: "effect-arrow", "data-testid": "effect-arrow",
      points: `${high - 6},${y - 4} ${high},${y} ${high - 6},${y + 4}` }));
  }
  if (effect.rate_ratio !== null && effect.rate_ratio !== undefined) {
    parts.push(svg("circle", { cx: scale.x(effect.rate_ratio).toFixed(1), cy: y, r: 3.5, class: "effect-point",
      "data-testid": "effect-point" }));
  }
  return svg("svg", { viewBox: `0 0 ${PLOT_W} ${PLOT_H}`, width: PLOT_W, height: PLOT_H, class: "forest-mark",
    role: "img", "aria-label": `rate ratio ${rateRatioText(effect)}, 95% interval ${intervalText(effect)}` },
  ...parts);
}

/**
 * The forest plot of ``effects`` as a table: one row per effect with an estimate.
 *
 * ``placeboShare(effect)`` gives the share of placebo estimates at or above the effect (or null).
 * Returns ``{ table, drawn, skipped }``.
 */
export function forestPlot(effects, placeboShare, testid = "forest-plot") {
  const drawn = effects.filter(hasEstimate);
  const scale = logScale(drawn);
  const head = el("tr", {},
    el("th", { scope: "col", text: "Attack type" }), el("th", { scope: "col", text: "Phase" }),
    el("th", { scope: "col", class: "forest-axis-cell" }, axis(scale)),
    el("th", { scope: "col", class: "num", text: "Rate ratio (95%)" }),
    el("th", { scope: "col", class: "num", text: "Events" }),
    el("th", { scope: "col", class: "num", title: "share of placebo estimates at or above this one",
      text: "Placebo ≥" }));
  const rows = drawn.map((e) => {
    const share = placeboShare(e);
    return el("tr", {
      "data-testid": "effect-mark", "data-type": e.attack_type, "data-phase": e.phase,
      "data-rate-ratio": e.rate_ratio ?? "", "data-ci-low": e.ci_low ?? "", "data-ci-high": e.ci_high ?? "",
      "data-unbounded": String(isUnbounded(e)),
    },
    el("td", { text: typeLabel(e.attack_type) }),
    el("td", { text: phaseLabel(e.phase) }),
    el("td", { class: "forest-cell" }, mark(e, scale)),
    el("td", { class: "num", "data-col": "rate_ratio" }, rateRatioText(e), " ",
      el("span", { class: "interval", text: intervalText(e) })),
    el("td", { class: "num", "data-col": "n_events", text: e.n_events ?? "" }),
    el("td", { class: "num", "data-col": "placebo", "data-testid": "placebo-share", "data-value": share ?? "",
      text: placeboText(share) }));
  });
  const table = el("table", { class: "compact forest", "data-testid": testid },
    el("caption", { class: "muted small",
      text: "Rate ratio against the months before the occupation (log scale, line at 1); "
        + "an arrow marks an interval with no upper end." }),
    el("thead", {}, head), el("tbody", {}, ...rows));
  return { table, drawn, skipped: effects.length - drawn.length };
}
