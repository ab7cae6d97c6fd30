// A tiny DOM builder: text is always set as text, never parsed as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** "2026-12-03 10:45:12Z" (fractions kept when the instant has them and `precise`). */
export function when(text, precise = false) {
  if (!text) return "";
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  const iso = date.toISOString();
  return iso.slice(0, 10) + " " + iso.slice(11, precise ? 23 : 19) + "Z";
}

export function json(value, indent = 2) {
  return value === undefined ? "" : JSON.stringify(value, null, indent);
}

/** A one-line preview of a JSON value, at most `limit` characters. */
export function preview(value, limit = 80) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${String(status).toLowerCase()}` }, status);
}

export function jsonBlock(value, label) {
  return h("pre", { class: "json", tabindex: "0", "aria-label": label }, json(value));
}

/** Parse a JSON text typed by the user; an empty text is `undefined` (no body). */
export function parseTyped(text, what) {
  if (!text.trim()) return undefined;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${error.message}`);
  }
  return text;
}

/** Seconds from "90", "90s", "15m", "1h30m", "2d" (ValueError-like Error otherwise). */
export function parseDuration(text) {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const match = trimmed.match(/^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$/);
  if (!trimmed || !match) throw new Error(`"${text}" is not a duration (try 90s, 15m, 1h30m, 2d)`);
  const [, d, hh, m, s] = match.map((part) => Number(part || 0));
  return d * 86400 + hh * 3600 + m * 60 + s;
}
