// Entities: their state, and signalling an operation to one.

import { WEBHOOK, call } from "./api.js";
import { asClientInput, h, jsonBlock, parseTyped, replace, when } from "./dom.js";

export async function entitiesPage(main, { shell }) {
  const table = h("div", { class: "table-wrap" });
  const load = async () => {
    const { body } = await call("GET", `${WEBHOOK}/entities`);
    renderTable(table, body, shell, load);
  };
  replace(main, h("div", { class: "page-head" }, h("h2", {}, "Entities"),
    h("button", { type: "button", class: "primary", onclick: () => signalDialog(shell, "", "", load) }, "Signal an entity…")),
  table);
  await load();
  shell.every(load);
}

function renderTable(el, entities, shell, load) {
  if (!entities.length) {
    replace(el, h("p", { class: "empty" }, "No entity has state yet."));
    return;
  }
  const sorted = [...entities].sort((a, b) =>
    `${a.entityId.name}@${a.entityId.key}`.localeCompare(`${b.entityId.name}@${b.entityId.key}`));
  replace(el, h("table", { class: "entities" },
    h("thead", {}, h("tr", {}, ["Entity", "Key", "Last operation", "State", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, sorted.map((e) => h("tr", { dataset: { entity: `${e.entityId.name}@${e.entityId.key}` } },
      h("td", {}, e.entityId.name),
      h("td", {}, e.entityId.key),
      h("td", {}, when(e.lastOperationTime)),
      h("td", {}, jsonBlock(e.state, `State of ${e.entityId.name}@${e.entityId.key}`)),
      h("td", {}, h("button", { type: "button", onclick: () => signalDialog(shell, e.entityId.name, e.entityId.key, load) }, "Signal…")),
    ))),
  ));
}

function signalDialog(shell, name, key, load) {
  const nameInput = h("input", { id: "entity-name", required: true, value: name, autocomplete: "off" });
  const keyInput = h("input", { id: "entity-key", required: true, value: key, autocomplete: "off" });
  const op = h("input", { id: "entity-op", required: true, autocomplete: "off", placeholder: "add" });
  const input = h("textarea", { id: "entity-input", rows: 4, placeholder: "5" });
  return shell.confirm({
    title: "Signal an entity",
    fields: [
      h("label", { for: "entity-name" }, "Entity name"), nameInput,
      h("label", { for: "entity-key" }, "Key"), keyInput,
      h("label", { for: "entity-op" }, "Operation"), op,
      h("label", { for: "entity-input" }, "Input (JSON)"), input,
    ],
    action: "Signal",
    run: async () => {
      if (!nameInput.value.trim() || !keyInput.value.trim() || !op.value.trim()) {
        throw new Error("Name, key and operation are all needed.");
      }
      const body = parseTyped(input.value, "The input");
      const path = `${WEBHOOK}/entities/${encodeURIComponent(nameInput.value.trim())}/${encodeURIComponent(keyInput.value.trim())}`;
      await call("POST", path, { query: { op: op.value.trim() }, json: asClientInput(body) });
      shell.say(`Signalled ${op.value.trim()} to ${nameInput.value.trim()}@${keyInput.value.trim()}.`);
      await load();
    },
  });
}
