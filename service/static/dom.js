// Shared helpers of the dashboard: DOM and SVG builders, the JSON client, number and month formats.
// The browser test formats the API's numbers the same way.

const SVGNS = "http://www.w3.org/2000/svg";

export const TIERS = ["minimal", "low", "elevated", "high", "severe"];

export const $ = (selector, root = document) => root.querySelector(selector);

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  return append(node, children);
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  setAttrs(node, attrs);
  return append(node, children);
}

export async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.message ? body.message : `HTTP ${response.status}`;
    throw new Error(`${path}: ${message}`);
  }
  return body;
}

// Number formats (the browser test formats the API's numbers the same way).
export const fixed = (x, digits) => {
  const text = Number(x).toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
};
export const num = (x) => (Number.isInteger(x) ? String(x) : fixed(x, 2));
export const pct = (p) => `${fixed(p * 100, 0)}%`;
export const signed = (x) => {
  const text = fixed(x, 2);
  return x > 0 && text !== "0.00" ? `+${text}` : text;
};
export const ratioText = (row) => (row.change_ratio === null ? (row.mean > 0 ? "new" : "") : `×${fixed(row.change_ratio, 2)}`);

export function typeLabel(type) {
  if (type === "all") return "All attacks";
  const text = type.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function occupationLabel(occ) {
  if (!occ || occ.phase === "never") return "none";
  if (occ.phase === "during") return "occupied";
  return occ.months_since_end === null || occ.months_since_end === undefined
    ? "after occupation" : `after · ${occ.months_since_end} mo`;
}

export function occupationRank(occ) {
  if (!occ || occ.phase === "never") return 1e9;
  if (occ.phase === "during") return -1;
  return occ.months_since_end ?? 1e8;
}

export const monthIndex = (ym) => {
  const [y, m] = ym.split("-").map(Number);
  return y * 12 + (m - 1);
};
export const monthLabel = (index) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
export const addMonths = (ym, n) => monthLabel(monthIndex(ym) + n);

export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

export function tierBadge(tier) {
  return el("span", { class: `tier tier-${tier}`, text: tier });
}

export function linePath(points) {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (p === null) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}
