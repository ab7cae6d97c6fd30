// The host's HTTP API as the dashboard uses it: Durable webhooks and /runtime/emulator/.
// Every call presents the master key when one was given (the host enforces it with --keys).

export const WEBHOOK = "/runtime/webhooks/durabletask";
export const CONTROL = "/runtime/emulator";
const KEY_ITEM = "durable-dashboard-key";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Take a `?code=` from the page's address into session storage and out of the address bar. */
export function adoptKeyFromUrl() {
  const url = new URL(window.location.href);
  const code = url.searchParams.get("code");
  if (code) {
    sessionStorage.setItem(KEY_ITEM, code);
    url.searchParams.delete("code");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
}

/** One call; resolves to {status, headers, body} for 2xx answers, rejects with ApiError. */
export async function call(method, path, { query, json, headers } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const sent = { Accept: "application/json", ...(headers || {}) };
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) sent["x-functions-key"] = key;
  const init = { method, headers: sent };
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    init.body = typeof json === "string" ? json : JSON.stringify(json);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, describeFailure(method, url, response.status, body), body);
  }
  return { status: response.status, headers: response.headers, body };
}

function describeFailure(method, url, status, body) {
  const detail =
    body && typeof body === "object"
      ? body.detail || body.ExceptionMessage || body.Message || body.error || ""
      : "";
  const reasons = {
    401: "the host needs the master key (started with --keys)",
    404: "not found",
    410: "the instance has finished",
    501: "not implemented by this host",
  };
  const why = detail || reasons[status] || "";
  return `${method} ${url.pathname} answered ${status}${why ? ": " + why : ""}`;
}

export const instancePath = (id) => `${WEBHOOK}/instances/${encodeURIComponent(id)}`;
