// The app's functions by trigger, with their HTTP routes.

import { CONTROL, call } from "./api.js";
import { h, replace } from "./dom.js";

const TRIGGERS = [
  ["httpTrigger", "HTTP"],
  ["orchestrationTrigger", "Orchestrators"],
  ["activityTrigger", "Activities"],
  ["entityTrigger", "Entities"],
  ["timerTrigger", "Timers"],
  ["other", "Other triggers (indexed, not run by this host)"],
];

export async function functionsPage(main) {
  const { body } = await call("GET", `${CONTROL}/functions`);
  replace(main, h("h2", {}, "Functions"),
    TRIGGERS.map(([trigger, title]) => {
      const rows = body.filter((f) => f.trigger === trigger);
      if (!rows.length) return null;
      const http = trigger === "httpTrigger";
      const timer = trigger === "timerTrigger";
      const columns = http ? ["Function", "Methods", "Route", "Auth level"]
        : timer ? ["Function", "Schedule", "Next occurrence", "Invocations"] : ["Name", "Python function"];
      return h("section", {},
        h("h3", {}, `${title} (${rows.length})`),
        h("div", { class: "table-wrap" }, h("table", { class: "functions", dataset: { trigger } },
          h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, rows.map((f) => h("tr", {},
            h("td", {}, f.name),
            http ? [h("td", {}, f.methods.join(", ")), h("td", { class: "id" }, f.path), h("td", {}, f.authLevel)]
              : timer ? [h("td", { class: "id" }, f.schedule), h("td", {}, f.disabled ? "disabled" : f.next || "never"),
                h("td", {}, String(f.invocations))]
              : h("td", {}, f.function || ""),
          ))))));
    }));
}
