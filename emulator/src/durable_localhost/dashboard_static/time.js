// Time: the clock, the next due timer of every instance, and moving a virtual or scaled clock.

import { CONTROL, call } from "./api.js";
import { h, parseDuration, replace, when } from "./dom.js";

export async function timePage(main, { shell }) {
  const clockBox = h("div", { class: "clock" });
  const timers = h("div", { class: "table-wrap" });
  const load = async () => {
    const [host, found] = await Promise.all([call("GET", `${CONTROL}/host`), call("GET", `${CONTROL}/timers`)]);
    shell.host = host.body;
    renderClock(clockBox, host.body.clock);
    renderTimers(timers, found.body);
  };
  const host = shell.host;
  replace(main, h("h2", {}, "Time"), clockBox,
    host.features.timeControl ? controls(shell, host.clock, load) :
      h("p", { class: "hint" }, "Wall clock: time passes by itself. Start the host with --clock virtual or --clock scaled to move it from here."),
    h("h3", {}, "Next timer of each instance"), timers);
  await load();
  shell.every(load);
}

function renderClock(el, clock) {
  replace(el, h("dl", { class: "summary" },
    h("dt", {}, "Mode"), h("dd", { id: "clock-mode" }, clock.mode + (clock.mode === "scaled" ? ` (×${clock.scale})` : "")),
    h("dt", {}, "Now"), h("dd", { id: "clock-now" }, when(clock.now)),
    clock.mode === "virtual" ? [h("dt", {}, "Auto-advance"), h("dd", {}, clock.paused ? "paused" : "on (jumps to the next timer when idle)")] : null,
    h("dt", {}, "Next timer"), h("dd", { id: "clock-next" }, clock.nextTimer ? when(clock.nextTimer) : "none"),
    h("dt", {}, "Work in flight"), h("dd", {}, clock.busy ? `${clock.busy} unit(s)` : "idle"),
  ));
}

function renderTimers(el, rows) {
  if (!rows.length) {
    replace(el, h("p", { class: "empty" }, "No instance waits on a timer."));
    return;
  }
  replace(el, h("table", { class: "timers" },
    h("thead", {}, h("tr", {}, ["Instance", "Orchestrator", "Timer", "Fires at", "Due (clock time)"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((t) => h("tr", {},
      h("td", { class: "id" }, h("a", { href: `#/instance/${encodeURIComponent(t.instanceId)}` }, t.instanceId)),
      h("td", {}, t.name), h("td", {}, t.timerId), h("td", {}, when(t.fireAt)), h("td", {}, when(t.due)),
    )))));
}

function controls(shell, clock, load) {
  const duration = h("input", { id: "advance-by", value: "1h", autocomplete: "off", size: 8 });
  const move = (label, path, query) => () => shell.confirm({
    title: label,
    body: "Every timer due on the way fires, in order, and the app runs until it is idle.",
    action: label,
    run: async () => {
      const { body } = await call("POST", `${CONTROL}/${path}`, { query: query?.() });
      shell.say(`${label}: the clock reads ${when(body.now)}.`);
      await load();
    },
  });
  const virtual = clock.mode === "virtual";
  return h("section", { class: "actions", "aria-label": "Move time" },
    h("button", { type: "button", id: "fire-next-timer", onclick: move("Fire the next timer", "clock/next-timer") }, "Fire next timer…"),
    h("label", { for: "advance-by" }, "Advance by"), duration,
    h("button", {
      type: "button",
      id: "advance",
      onclick: () => {
        let seconds;
        try {
          seconds = parseDuration(duration.value);
        } catch (error) {
          shell.fail(error);
          return undefined;
        }
        return move(`Advance the clock by ${duration.value.trim()}`, "clock/advance", () => ({ seconds }))();
      },
    }, "Advance…"),
    virtual ? h("button", {
      type: "button",
      id: "toggle-pause",
      onclick: async () => {
        // The answer waits for quiescence, which an eternal orchestration on an auto-advancing
        // clock never reaches: a short wait, and its 504, are fine here.
        const path = `${CONTROL}/clock/${clock.paused ? "resume" : "pause"}`;
        await call("POST", path, { query: { timeout: 2 } }).catch((error) => {
          if (error.status !== 504) shell.fail(error);
        });
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      },
    }, clock.paused ? "Resume auto-advance" : "Pause auto-advance") : null,
  );
}
