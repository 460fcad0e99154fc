// The served model's skill against the best baseline (CRPS and Brier, with intervals) and what the
// champion is, in plain words, from /v1/model.

import { $, el, fixed, typeLabel } from "./dom.js";

const BASELINE_NAMES = ["zero", "last_value", "mean12", "bootstrap24"];
const METRICS = [["crps", "CRPS skill"], ["brier", "Brier skill"]];

const signedTwo = (v) => {
  const text = fixed(v, 2);
  return v > 0 && text !== "0.00" ? `+${text}` : text;
};

/** "+0.01 (90%: −0.82 to +0.52)" for a skill figure, or "n/a" without a value. */
export function skillText(figure) {
  if (!figure || figure.skill === null || figure.skill === undefined) return "n/a";
  const level = figure.level ? `${fixed(figure.level * 100, 0)}%: ` : "";
  const interval = figure.lower === null || figure.upper === null || figure.lower === undefined
    ? "" : ` (${level}${signedTwo(figure.lower)} to ${signedTwo(figure.upper)})`;
  return `${signedTwo(figure.skill)}${interval}`;
}

/** Whether the served model is one of the naive baselines. */
export function servesBaseline(model) {
  const served = model.served_model;
  if (!served) return null;
  const listed = model.backtest && Array.isArray(model.backtest.baselines) ? model.backtest.baselines : null;
  return (listed || BASELINE_NAMES).includes(served);
}

/** The champion in plain words. */
export function championText(model) {
  const served = model.served_model;
  const baseline = servesBaseline(model);
  if (baseline === null) return "The champion's model is not recorded.";
  if (baseline) {
    return `The champion is a naive baseline (${served}): the fitted models did not beat it in the backtest, `
      + "so the service forecasts with the baseline.";
  }
  return served === "selected"
    ? "The champion is the fitted model (chosen per attack type in the backtest)."
    : `The champion is the fitted model ${served}.`;
}

function figureCell(figure, metric) {
  const above = figure && figure.lower > 0;
  const below = figure && figure.upper < 0;
  return el("td", {
    class: `num skill-figure${above ? " above" : below ? " below" : ""}`, "data-testid": "skill-figure",
    "data-metric": metric, "data-skill": figure ? figure.skill ?? "" : "",
    "data-lower": figure ? figure.lower ?? "" : "", "data-upper": figure ? figure.upper ?? "" : "",
    "data-baseline": figure ? figure.baseline : "",
    title: figure ? `against ${figure.baseline}${figure.n ? ` on ${figure.n} forecasts` : ""}` : "",
    text: skillText(figure),
  });
}

/** Fill the header's skill line and the per-type table of the model panel. */
export function renderSkill(model) {
  const box = $("#model-skill");
  const champion = el("span", { "data-testid": "champion", "data-baseline": String(servesBaseline(model)),
    text: championText(model) });
  const skill = model.skill || {};
  const types = Object.keys(skill);
  if (!types.length) {
    box.replaceChildren(champion, " ", el("span", { class: "muted-light", "data-testid": "skill-none",
      text: "No backtest skill is recorded for this model." }));
    $("#skill-details").hidden = true;
    return;
  }
  const main = skill.all || skill[types[0]];
  const mainType = skill.all ? "all" : types[0];
  const parts = METRICS.filter(([m]) => main[m]).map(([m, label]) => el("span", { class: "skill-item" },
    `${label} `, el("strong", { "data-testid": "skill-headline", "data-metric": m,
      "data-skill": main[m].skill ?? "", "data-lower": main[m].lower ?? "", "data-upper": main[m].upper ?? "",
      text: skillText(main[m]) }),
    ` vs ${main[m].baseline}`));
  box.replaceChildren(champion, " ", el("span", { class: "skill-line" },
    `${typeLabel(mainType)}: `, ...parts.flatMap((p, i) => (i ? [" · ", p] : [p]))));
  const order = (t) => (t === "all" ? -1 : types.indexOf(t));
  const rows = [...types].sort((a, b) => order(a) - order(b)).map((t) => el("tr", {
    "data-testid": "skill-row", "data-type": t },
  el("th", { scope: "row", text: typeLabel(t) }),
  ...METRICS.map(([m]) => figureCell(skill[t][m], m))));
  $("#skill-table tbody").replaceChildren(...rows);
  $("#skill-details").hidden = false;
}
