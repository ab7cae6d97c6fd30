// The dashboard's shell: header, routing between pages, notices, the confirmation dialog.

import { ApiError, CONTROL, adoptKeyFromUrl, call, setKey } from "./api.js";
import { h, replace, when } from "./dom.js";
import { entitiesPage } from "./entities.js";
import { functionsPage } from "./functions.js";
import { instancePage } from "./instance.js";
import { instancesPage } from "./instances.js";
import { timePage } from "./time.js";

const PAGES = {
  instances: instancesPage,
  instance: instancePage,
  entities: entitiesPage,
  time: timePage,
  functions: functionsPage,
};
const REFRESH_MS = 2000;

/** What every page gets: the host's description, a refresh timer, notices, the dialog. */
export const shell = {
  host: null,
  timer: null,
  generation: 0,
  /** Run `fn` every REFRESH_MS while the page is shown and `active()` (default: always). */
  every(fn, active = () => true) {
    clearTimeout(this.timer);
    const generation = this.generation;
    const current = () => generation === this.generation;
    const tick = async () => {
      if (!current()) return;
      try {
        if (document.visibilityState === "visible") await fn();
      } catch (error) {
        if (current()) this.fail(error);
      }
      if (current() && active()) this.timer = setTimeout(tick, REFRESH_MS);
    };
    this.timer = setTimeout(tick, REFRESH_MS);
  },
  say(text) {
    const notice = document.getElementById("notice");
    notice.className = "notice";
    notice.textContent = text;
    notice.hidden = false;
  },
  fail(error) {
    if (error instanceof ApiError && error.status === 401) {
      askForKey();
      return;
    }
    const notice = document.getElementById("notice");
    notice.className = "notice error";
    notice.textContent = error.message || String(error);
    notice.hidden = false;
  },
  clear() {
    document.getElementById("notice").hidden = true;
  },
  confirm,
};

/**
 * Ask before acting. `fields` are extra form controls; `run(form)` performs the action and may
 * throw: the error is shown in the dialog, which stays open so the user can fix the input.
 */
function confirm({ title, body, fields = [], action, run, danger = false }) {
  const dialog = document.getElementById("dialog");
  const form = document.getElementById("dialog-form");
  const ok = document.getElementById("dialog-ok");
  const error = document.getElementById("dialog-error");
  replace(document.getElementById("dialog-title"), title);
  replace(document.getElementById("dialog-body"), body ? h("p", {}, body) : null, fields);
  replace(error);
  ok.textContent = action;
  ok.className = danger ? "danger" : "primary";
  return new Promise((resolve) => {
    const submit = async (event) => {
      if (event.submitter?.value !== "ok") return;
      event.preventDefault();
      ok.disabled = true;
      try {
        const result = await run(form);
        form.removeEventListener("submit", submit);
        dialog.close();
        resolve(result);
      } catch (failure) {
        replace(error, failure.message || String(failure));
      } finally {
        ok.disabled = false;
      }
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener(
      "close",
      () => {
        form.removeEventListener("submit", submit);
        replace(document.getElementById("dialog-body"));
        resolve(undefined);
      },
      { once: true },
    );
    dialog.showModal();
    (fields.length ? dialog.querySelector("input, textarea, select") : ok)?.focus();
  });
}

function askForKey() {
  const main = document.getElementById("main");
  const input = h("input", {
    id: "master-key",
    type: "password",
    autocomplete: "off",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "key-form",
      onsubmit: (event) => {
        event.preventDefault();
        setKey(input.value.trim());
        route();
      },
    },
    h("h2", {}, "Master key needed"),
    h(
      "p",
      {},
      "This host enforces keys (--keys). Paste the master key it printed at startup; it is kept ",
      "in this tab's session storage only.",
    ),
    h("label", { for: "master-key" }, "Master key"),
    input,
    h("button", { class: "primary" }, "Use this key"),
  );
  replace(main, form);
  input.focus();
}

async function loadHost() {
  const { body } = await call("GET", `${CONTROL}/host`);
  shell.host = body;
  const clock = body.clock;
  replace(
    document.getElementById("host-summary"),
    `hub ${body.hubName} · clock ${clock.mode}${clock.paused ? " (paused)" : ""} · `,
    h("time", { datetime: clock.now }, when(clock.now)),
    body.keysEnforced ? " · keys on" : "",
  );
}

export async function route() {
  clearTimeout(shell.timer);
  shell.generation += 1;
  shell.clear();
  const [name, ...rest] = window.location.hash.replace(/^#\/?/, "").split("/");
  const [page, search] = (name || "instances").split("?");
  const render = PAGES[page] || instancesPage;
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.dataset.page === page || (page === "instance" && link.dataset.page === "instances");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const main = document.getElementById("main");
  try {
    await loadHost();
    const params = new URLSearchParams(search || window.location.hash.split("?")[1] || "");
    await render(main, { shell, params, rest: rest.map(decodeURIComponent) });
  } catch (error) {
    shell.fail(error);
  }
}

adoptKeyFromUrl();
window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", route);
