// The history as spans: one per activity, timer, sub-orchestration and entity call, from
// scheduled to completed. Pure functions of the host's history JSON (EventType integers).

export const EVENT_NAMES = [
  "ExecutionStarted", "ExecutionCompleted", "ExecutionFailed", "ExecutionTerminated",
  "TaskScheduled", "TaskCompleted", "TaskFailed", "SubOrchestrationInstanceCreated",
  "SubOrchestrationInstanceCompleted", "SubOrchestrationInstanceFailed", "TimerCreated",
  "TimerFired", "OrchestratorStarted", "OrchestratorCompleted", "EventSent", "EventRaised",
  "ContinueAsNew", "GenericEvent", "HistoryState", "ExecutionSuspended", "ExecutionResumed",
];
const T = Object.fromEntries(EVENT_NAMES.map((name, code) => [name, code]));

const parseJson = (text) => {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * Spans in the order they were scheduled: {kind, name, start, end, state, retry, child, detail}.
 * `state` is "completed", "failed" or "pending"; `retry` counts earlier failed attempts of the
 * same activity or sub-orchestration; points (external events, signals) have start === end.
 */
export function buildSpans(history) {
  const spans = [];
  const open = new Map(); // EventId (or entity request id) -> span
  const failures = new Map(); // name -> failed attempts so far
  const start = (key, span) => {
    spans.push(span);
    if (key !== null) open.set(key, span);
    return span;
  };
  const finish = (key, event, state, detail) => {
    const span = open.get(key);
    if (!span) return;
    open.delete(key);
    span.end = event.Timestamp;
    span.state = state;
    if (detail !== undefined) span.detail = detail;
    if (state === "failed") failures.set(span.name, (failures.get(span.name) || 0) + 1);
  };
  for (const event of history) {
    const type = event.EventType;
    if (type === T.TaskScheduled || type === T.SubOrchestrationInstanceCreated) {
      const kind = type === T.TaskScheduled ? "activity" : "orchestration";
      start(event.EventId, {
        kind,
        name: event.Name,
        start: event.Timestamp,
        end: null,
        state: "pending",
        retry: failures.get(event.Name) || 0,
        child: kind === "orchestration" ? event.InstanceId : null,
      });
    } else if (type === T.TaskCompleted || type === T.SubOrchestrationInstanceCompleted) {
      finish(event.TaskScheduledId, event, "completed");
    } else if (type === T.TaskFailed || type === T.SubOrchestrationInstanceFailed) {
      finish(event.TaskScheduledId, event, "failed", event.Reason);
    } else if (type === T.TimerCreated) {
      start(`timer:${event.EventId}`, {
        kind: "timer", name: "timer", start: event.Timestamp, end: null, state: "pending",
        retry: 0, child: null, detail: `fires at ${event.FireAt}`,
      });
    } else if (type === T.TimerFired) {
      finish(`timer:${event.TimerId}`, event, "completed");
    } else if (type === T.EventSent) {
      const message = parseJson(event.Input) || {};
      const entity = String(event.InstanceId || "").startsWith("@");
      const signal = !entity || message.signal;
      const span = start(signal ? null : `entity:${message.id}`, {
        kind: entity ? "entity" : "event",
        name: `${event.Name} → ${event.InstanceId}`,
        start: event.Timestamp,
        end: signal ? event.Timestamp : null,
        state: signal ? "completed" : "pending",
        retry: 0, child: null, detail: signal ? "signal" : "call",
      });
      if (entity && !signal) span.entityRequest = message.id;
    } else if (type === T.EventRaised) {
      if (open.has(`entity:${event.Name}`)) {
        const reply = parseJson(parseJson(event.Input)?.result);
        finish(`entity:${event.Name}`, event, "completed", reply === undefined ? undefined : JSON.stringify(reply));
      } else {
        start(null, {
          kind: "event", name: `event ${event.Name}`, start: event.Timestamp, end: event.Timestamp,
          state: "completed", retry: 0, child: null, detail: "external event",
        });
      }
    }
  }
  return spans;
}

/**
 * Each span's left edge and width in percent of the axis. The axis is time when the history
 * spans at least a millisecond, else the order of events (a paused virtual clock stamps a whole
 * run within microseconds).
 */
export function layout(spans, history, now) {
  const stamps = history.map((e) => Date.parse(e.Timestamp)).filter((t) => !Number.isNaN(t));
  const first = Math.min(...stamps);
  const last = Math.max(...stamps, now ? Date.parse(now) : -Infinity);
  const byTime = stamps.length && last - first >= 1;
  const order = [...new Set(history.map((e) => e.Timestamp))];
  const position = (stamp) => {
    if (stamp === null) return 100;
    if (byTime) return ((Date.parse(stamp) - first) / (last - first)) * 100;
    const index = order.indexOf(stamp);
    return order.length > 1 ? (index / (order.length - 1)) * 100 : 0;
  };
  return {
    axis: byTime ? "time" : "order",
    rows: spans.map((span) => {
      const left = Math.min(position(span.start), 99.5);
      const right = position(span.end);
      return { span, left, width: Math.max(right - left, 0.5) };
    }),
  };
}
