// The instance list: server-side filters and paging, refreshed while anything runs.

import { WEBHOOK, call } from "./api.js";
import { asClientInput, h, parseTyped, preview, replace, statusBadge, when } from "./dom.js";

const STATUSES = ["Pending", "Running", "Suspended", "Completed", "Failed", "Terminated", "ContinuedAsNew"];
const PAGE_SIZES = [25, 100, 500];

/** Filters live in the address (`#/instances?status=Running&name=...`) so views can be shared. */
function filtersFrom(params) {
  return {
    status: (params.get("status") || "").split(",").filter(Boolean),
    name: params.get("name") || "",
    prefix: params.get("prefix") || "",
    from: params.get("from") || "",
    to: params.get("to") || "",
    top: Number(params.get("top")) || 100,
  };
}

function addressOf(filters) {
  const params = new URLSearchParams();
  if (filters.status.length) params.set("status", filters.status.join(","));
  for (const name of ["name", "prefix", "from", "to"]) if (filters[name]) params.set(name, filters[name]);
  if (filters.top !== 100) params.set("top", String(filters.top));
  const text = params.toString();
  return "#/instances" + (text ? "?" + text : "");
}

/** `datetime-local` values are read as UTC (the host's time zone). */
const utc = (local) => (local ? new Date(local + "Z").toISOString() : undefined);

export async function instancesPage(main, { shell, params }) {
  const filters = filtersFrom(params);
  const orchestrators = await orchestratorNames();
  const tokens = [""]; // continuation tokens of the pages seen so far; the last is the current
  const table = h("div", { class: "table-wrap" });
  const pager = h("div", { class: "pager" });
  const auto = h("input", { type: "checkbox", id: "auto-refresh", checked: true });

  const load = async () => {
    const token = tokens[tokens.length - 1];
    const { headers, body } = await call("GET", `${WEBHOOK}/instances`, {
      query: {
        runtimeStatus: filters.status.join(","),
        name: filters.name,
        instanceIdPrefix: filters.prefix,
        createdTimeFrom: utc(filters.from),
        createdTimeTo: utc(filters.to),
        top: filters.top,
        newestFirst: "true",
      },
      headers: token ? { "x-ms-continuation-token": token } : {},
    });
    renderTable(table, body);
    renderPager(pager, headers, body.length);
    return body;
  };

  const renderPager = (el, headers, count) => {
    const total = Number(headers.get("x-emulator-total-count") || 0);
    const next = headers.get("x-ms-continuation-token");
    const first = Number(tokens[tokens.length - 1] || 0);
    replace(
      el,
      h("span", { id: "page-range" }, count ? `${first + 1}–${first + count} of ${total}` : `0 of ${total}`),
      h("button", {
        type: "button",
        disabled: tokens.length === 1,
        onclick: () => {
          tokens.pop();
          load().catch(shell.fail.bind(shell));
        },
      }, "← Newer"),
      h("button", {
        type: "button",
        id: "next-page",
        disabled: !next,
        onclick: () => {
          tokens.push(next);
          load().catch(shell.fail.bind(shell));
        },
      }, "Older →"),
    );
  };

  replace(
    main,
    h("div", { class: "page-head" },
      h("h2", {}, "Instances"),
      h("button", { type: "button", class: "primary", onclick: () => startDialog(shell, orchestrators) },
        "Start an orchestration…"),
    ),
    filterForm(filters, orchestrators),
    h("div", { class: "toolbar" },
      h("label", { for: "auto-refresh" }, auto, " Refresh while instances run"),
      pager,
    ),
    table,
  );
  await load();
  // New instances may appear at any time, so the list polls while the box is ticked.
  shell.every(async () => {
    if (auto.checked) await load();
  });
}

async function orchestratorNames() {
  const { body } = await call("GET", "/runtime/emulator/functions");
  return body.filter((f) => f.trigger === "orchestrationTrigger").map((f) => f.name);
}

function filterForm(filters, orchestrators) {
  const boxes = STATUSES.map((status) =>
    h("label", { class: "check" },
      h("input", { type: "checkbox", name: "status", value: status, checked: filters.status.includes(status) }),
      " ", status),
  );
  const form = h("form", {
    class: "filters",
    "aria-label": "Filter instances",
    onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(form);
      window.location.hash = addressOf({
        status: data.getAll("status"),
        name: data.get("name"),
        prefix: data.get("prefix").trim(),
        from: data.get("from"),
        to: data.get("to"),
        top: Number(data.get("top")),
      });
    },
  },
    h("fieldset", {}, h("legend", {}, "Status"), boxes),
    h("div", { class: "fields" },
      h("label", {}, "Orchestrator",
        h("select", { name: "name", id: "filter-name" },
          h("option", { value: "" }, "any"),
          orchestrators.map((name) => h("option", { value: name, selected: name === filters.name }, name)),
        )),
      h("label", {}, "Instance id starts with",
        h("input", { name: "prefix", id: "filter-prefix", value: filters.prefix, autocomplete: "off" })),
      h("label", {}, "Created from (UTC)",
        h("input", { type: "datetime-local", name: "from", step: "1", value: filters.from })),
      h("label", {}, "Created to (UTC)",
        h("input", { type: "datetime-local", name: "to", step: "1", value: filters.to })),
      h("label", {}, "Per page",
        h("select", { name: "top" },
          PAGE_SIZES.map((n) => h("option", { value: n, selected: n === filters.top }, n)))),
      h("div", { class: "buttons" },
        h("button", { class: "primary", id: "apply-filters" }, "Apply"),
        h("a", { href: "#/instances", class: "button" }, "Clear")),
    ),
  );
  return form;
}

function renderTable(el, rows) {
  if (!rows.length) {
    replace(el, h("p", { class: "empty" }, "No instance matches."));
    return;
  }
  replace(
    el,
    h("table", { class: "instances" },
      h("thead", {}, h("tr", {},
        ["Name", "Instance id", "Status", "Created", "Updated", "Custom status"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((i) =>
        h("tr", { dataset: { instanceId: i.instanceId } },
          h("td", {}, i.name),
          h("td", { class: "id" }, h("a", { href: `#/instance/${encodeURIComponent(i.instanceId)}` }, i.instanceId)),
          h("td", {}, statusBadge(i.runtimeStatus)),
          h("td", {}, when(i.createdTime)),
          h("td", {}, when(i.lastUpdatedTime)),
          h("td", { class: "preview" }, preview(i.customStatus)),
        ))),
    ),
  );
}

/** Start an orchestration by name through the webhook, then open it. */
function startDialog(shell, orchestrators) {
  const name = h("select", { id: "start-name", required: true },
    orchestrators.map((n) => h("option", { value: n }, n)));
  const id = h("input", { id: "start-id", autocomplete: "off", placeholder: "generated when empty" });
  const input = h("textarea", { id: "start-input", rows: 6, placeholder: '{"key": "value"}' });
  return shell.confirm({
    title: "Start an orchestration",
    fields: [
      h("label", { for: "start-name" }, "Orchestrator"), name,
      h("label", { for: "start-id" }, "Instance id"), id,
      h("label", { for: "start-input" }, "Input (JSON)"), input,
    ],
    action: "Start",
    run: async () => {
      const body = parseTyped(input.value, "The input");
      const path = `${WEBHOOK}/orchestrators/${encodeURIComponent(name.value)}` +
        (id.value.trim() ? `/${encodeURIComponent(id.value.trim())}` : "");
      const started = await call("POST", path, { json: asClientInput(body) });
      window.location.hash = `#/instance/${encodeURIComponent(started.body.id)}`;
    },
  });
}
