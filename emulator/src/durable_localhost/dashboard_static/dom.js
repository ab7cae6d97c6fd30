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

/**
 * A JSON value, pretty-printed. A string holding a JSON object or array (how the Python SDK's
 * client sends inputs) is shown decoded, and says so.
 */
export function jsonBlock(value, label) {
  let shown = value;
  let note = null;
  if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    try {
      shown = JSON.parse(value);
      note = h("span", { class: "hint" }, "JSON text, shown decoded");
    } catch {
      shown = value;
    }
  }
  const block = h("pre", { class: "json", tabindex: "0", "aria-label": label }, json(shown));
  return note ? h("div", {}, note, block) : block;
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

/**
 * A typed JSON text as the Python SDK's client sends it: JSON-encoded once more. The SDK's
 * entities and `get_input()` decode an input twice, so this is what the app expects.
 */
export function asClientInput(text) {
  return text === undefined ? "" : JSON.stringify(text);
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
