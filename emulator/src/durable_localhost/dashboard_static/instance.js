// One instance: summary, actions, input/output, timeline, events and the raw JSON.

import { CONTROL, call, instancePath } from "./api.js";
import { h, json, jsonBlock, parseTyped, preview, replace, statusBadge, when } from "./dom.js";
import { EVENT_NAMES, buildSpans, layout } from "./timeline.js";

const LIVE = new Set(["Pending", "Running", "Suspended", "ContinuedAsNew"]);

export async function instancePage(main, { shell, rest }) {
  const id = rest[0];
  let lastStamp = "";
  const render = async () => {
    const [status, detail] = await Promise.all([
      call("GET", instancePath(id), {
        query: { showHistory: "true", showHistoryOutput: "true", showInput: "true" },
      }),
      call("GET", `${CONTROL}/instances/${encodeURIComponent(id)}`),
    ]);
    const stamp = JSON.stringify([status.body.lastUpdatedTime, status.body.runtimeStatus,
      detail.body.history.length, detail.body.timers]);
    if (stamp !== lastStamp) {
      lastStamp = stamp;
      draw(main, shell, status.body, detail.body, render);
    }
    return status.body;
  };
  try {
    await render();
  } catch (error) {
    if (error.status === 404) {
      replace(main, h("h2", {}, "Instance not found"),
        h("p", {}, `No instance with id ${id} (it may have been purged). `,
          h("a", { href: "#/instances" }, "Back to the list")));
      return;
    }
    throw error;
  }
  let live = true;
  shell.every(async () => {
    live = LIVE.has((await render()).runtimeStatus);
  }, () => live);
}

function draw(main, shell, status, detail, refresh) {
  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/instances" }, "Instances"), " / ", status.name),
    h("div", { class: "page-head" },
      h("h2", { class: "id" }, status.instanceId),
      statusBadge(status.runtimeStatus),
    ),
    h("dl", { class: "summary" },
      item("Orchestrator", status.name),
      item("Version", detail.version || "(none)"),
      item("Execution", detail.executionId),
      item("Created", when(status.createdTime)),
      item("Updated", when(status.lastUpdatedTime)),
      detail.parentInstanceId
        ? item("Parent", h("a", { href: `#/instance/${encodeURIComponent(detail.parentInstanceId)}` }, detail.parentInstanceId))
        : null,
      detail.timers.length ? item("Next timer", `${when(detail.timers[0].fireAt)} (timer ${detail.timers[0].timerId})`) : null,
    ),
    actions(shell, status, refresh),
    h("section", { class: "grid3", "aria-label": "Payloads" },
      h("div", {}, h("h3", {}, "Input"), jsonBlock(status.input, "Input")),
      h("div", {}, h("h3", {}, "Output"), jsonBlock(status.output, "Output")),
      h("div", {}, h("h3", {}, "Custom status"), jsonBlock(status.customStatus, "Custom status")),
    ),
    timeline(detail.history, LIVE.has(status.runtimeStatus), shell.host.clock.now),
    eventsTable(detail.history),
    h("section", {},
      h("h3", {}, "Raw JSON"),
      h("details", {}, h("summary", {}, "Status (GET instances/{id}?showHistory=true)"), jsonBlock(status, "Status JSON")),
      h("details", {}, h("summary", {}, "History as the orchestrator replays it"), jsonBlock(detail, "History JSON")),
    ),
  );
}

const item = (label, value) => [h("dt", {}, label), h("dd", {}, value)];

function actions(shell, status, refresh) {
  const id = status.instanceId;
  const live = LIVE.has(status.runtimeStatus);
  const suspended = status.runtimeStatus === "Suspended";
  const done = () => refresh().catch(shell.fail.bind(shell));
  const reasonField = () => {
    const input = h("input", { id: "action-reason", autocomplete: "off", value: "from the dashboard" });
    return [h("label", { for: "action-reason" }, "Reason"), input];
  };
  const control = (operation, label, danger = false) => () => {
    const fields = reasonField();
    return shell.confirm({
      title: `${label} ${id}?`,
      fields,
      action: label,
      danger,
      run: async () => {
        await call("POST", `${instancePath(id)}/${operation}`, { query: { reason: fields[1].value } });
        shell.say(`${label}: requested for ${id}.`);
        await done();
      },
    });
  };
  return h("section", { class: "actions", "aria-label": "Actions" },
    h("button", { type: "button", id: "action-raise", disabled: !live, onclick: () => raiseDialog(shell, id, done) }, "Raise event…"),
    h("button", { type: "button", id: "action-suspend", disabled: !live || suspended, onclick: control("suspend", "Suspend") }, "Suspend…"),
    h("button", { type: "button", id: "action-resume", disabled: !suspended, onclick: control("resume", "Resume") }, "Resume…"),
    h("button", { type: "button", id: "action-terminate", class: "danger", disabled: !live, onclick: control("terminate", "Terminate", true) }, "Terminate…"),
    h("button", {
      type: "button",
      id: "action-rewind",
      disabled: status.runtimeStatus !== "Failed",
      title: "Run what failed again (after fixing its cause)",
      onclick: control("rewind", "Rewind"),
    }, "Rewind…"),
    h("button", { type: "button", id: "action-restart", onclick: () => restartDialog(shell, id) }, "Restart…"),
    h("button", { type: "button", id: "action-purge", class: "danger", disabled: live, onclick: () => purgeDialog(shell, id) }, "Purge…"),
  );
}

function raiseDialog(shell, id, done) {
  const name = h("input", { id: "event-name", required: true, autocomplete: "off" });
  const payload = h("textarea", { id: "event-payload", rows: 6, placeholder: '{"decision": "approve"}' });
  return shell.confirm({
    title: `Raise an event to ${id}`,
    fields: [h("label", { for: "event-name" }, "Event name"), name,
      h("label", { for: "event-payload" }, "Payload (JSON)"), payload],
    action: "Raise event",
    run: async () => {
      if (!name.value.trim()) throw new Error("The event needs a name.");
      const body = parseTyped(payload.value, "The payload");
      await call("POST", `${instancePath(id)}/raiseEvent/${encodeURIComponent(name.value.trim())}`, {
        json: body === undefined ? "null" : body,
      });
      shell.say(`Event ${name.value.trim()} raised to ${id}.`);
      await done();
    },
  });
}

function restartDialog(shell, id) {
  const fresh = h("input", { type: "checkbox", id: "restart-new-id", checked: true });
  return shell.confirm({
    title: `Restart ${id}?`,
    body: "Starts the orchestration again with the same input.",
    fields: [h("label", { for: "restart-new-id", class: "check" }, fresh, " under a new instance id")],
    action: "Restart",
    run: async () => {
      const { body } = await call("POST", `${instancePath(id)}/restart`, {
        query: { restartWithNewInstanceId: String(fresh.checked) },
      });
      window.location.hash = `#/instance/${encodeURIComponent(body.id)}`;
    },
  });
}

function purgeDialog(shell, id) {
  return shell.confirm({
    title: `Purge ${id}?`,
    body: "Deletes the instance and its history for good.",
    action: "Purge",
    danger: true,
    run: async () => {
      await call("DELETE", instancePath(id));
      shell.say(`Purged ${id}.`);
      window.location.hash = "#/instances";
    },
  });
}

function timeline(history, live, now) {
  const spans = buildSpans(history);
  if (!spans.length) return h("section", {}, h("h3", {}, "Timeline"), h("p", { class: "empty" }, "Nothing scheduled yet."));
  const { axis, rows } = layout(spans, history, live ? now : null);
  // Once the instance is over, what never completed was abandoned (a timer lost a race).
  const unfinished = (span) => (live ? "pending" : span.kind === "timer" ? "did not fire" : "no result");
  return h("section", { class: "timeline-section" },
    h("h3", {}, "Timeline"),
    h("p", { class: "hint" }, axis === "time"
      ? "Bars run from scheduled to completed, to scale in time."
      : "Everything happened within a millisecond (a paused virtual clock): bars are laid out in event order."),
    h("ol", { class: "timeline", "aria-label": "Timeline" }, rows.map(({ span, left, width }) => {
      const bar = h("span", { class: `bar ${span.kind} ${span.state}` });
      bar.style.left = `${left}%`;
      bar.style.width = `${width}%`;
      const label = span.child
        ? h("a", { href: `#/instance/${encodeURIComponent(span.child)}` }, span.name)
        : span.name;
      const marks = [
        span.retry ? h("span", { class: "mark retry" }, `retry ${span.retry}`) : null,
        span.state === "failed" ? h("span", { class: "mark failed" }, "failed") : null,
        span.state === "pending" ? h("span", { class: "mark pending" }, unfinished(span)) : null,
      ];
      const title = `${span.kind} ${span.name}: ${when(span.start, true)} → ${span.end ? when(span.end, true) : "…"}` +
        (span.detail ? ` (${span.detail})` : "");
      return h("li", { class: `span ${span.kind} ${span.state}`, title, dataset: { name: span.name, kind: span.kind, state: span.state } },
        h("span", { class: "label" }, h("span", { class: "kind" }, span.kind), " ", label, " ", marks),
        h("span", { class: "track" }, bar));
    })),
  );
}

function eventsTable(history) {
  return h("section", {},
    h("h3", {}, "Events"),
    h("div", { class: "table-wrap" },
      h("table", { class: "events" },
        h("thead", {}, h("tr", {}, ["#", "Event", "Id", "Name", "Timestamp", "Payload"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, history.map((event, index) => {
          const payload = event.Input ?? event.Result ?? event.Reason ?? event.FireAt ?? null;
          const extra = event.Details ? { reason: event.Reason, details: event.Details } : null;
          return h("tr", { class: `event-${EVENT_NAMES[event.EventType] || event.EventType}` },
            h("td", {}, index),
            h("td", {}, EVENT_NAMES[event.EventType] || String(event.EventType)),
            h("td", {}, event.EventId >= 0 ? event.EventId : event.TaskScheduledId ?? event.TimerId ?? ""),
            h("td", {}, event.Name || event.InstanceId || ""),
            h("td", {}, when(event.Timestamp, true)),
            h("td", { class: "payload" }, payload === null ? "" :
              h("details", {}, h("summary", {}, preview(payload, 60)), h("pre", {}, json(extra || tryParse(payload))))),
          );
        })),
      )),
  );
}

function tryParse(text) {
  try {
    return typeof text === "string" ? JSON.parse(text) : text;
  } catch {
    return text;
  }
}
