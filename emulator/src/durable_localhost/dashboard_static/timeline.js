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
 * Spans in the order they were scheduled:
 * {kind, name, start, end, from, to, state, retry, child, detail}.
 * `start`/`end` are timestamps and `from`/`to` indexes in the history (`end`/`to` null while
 * pending); `state` is "completed", "failed" or "pending"; `retry` counts earlier failed
 * attempts of the same activity or sub-orchestration; points (external events, signals) start
 * and end at the same event.
 */
export function buildSpans(history) {
  const spans = [];
  const open = new Map(); // EventId, "timer:<id>" or "entity:<request id>" -> span
  const failures = new Map(); // name -> failed attempts so far
  const begin = (key, event, index, fields) => {
    const span = {
      start: event.Timestamp, end: null, from: index, to: null,
      state: "pending", retry: 0, child: null, detail: null, ...fields,
    };
    spans.push(span);
    if (key === null) {
      span.end = event.Timestamp;
      span.to = index;
      span.state = "completed";
    } else {
      open.set(key, span);
    }
    return span;
  };
  const finish = (key, event, index, state, detail) => {
    const span = open.get(key);
    if (!span) return false;
    open.delete(key);
    Object.assign(span, { end: event.Timestamp, to: index, state });
    if (detail !== undefined) span.detail = detail;
    if (state === "failed") failures.set(span.name, (failures.get(span.name) || 0) + 1);
    return true;
  };
  history.forEach((event, index) => {
    switch (event.EventType) {
      case T.TaskScheduled:
      case T.SubOrchestrationInstanceCreated: {
        const activity = event.EventType === T.TaskScheduled;
        begin(event.EventId, event, index, {
          kind: activity ? "activity" : "orchestration",
          name: event.Name,
          retry: failures.get(event.Name) || 0,
          child: activity ? null : event.InstanceId,
        });
        break;
      }
      case T.TaskCompleted:
      case T.SubOrchestrationInstanceCompleted:
        finish(event.TaskScheduledId, event, index, "completed");
        break;
      case T.TaskFailed:
      case T.SubOrchestrationInstanceFailed:
        finish(event.TaskScheduledId, event, index, "failed", event.Reason);
        break;
      case T.TimerCreated:
        begin(`timer:${event.EventId}`, event, index, {
          kind: "timer", name: "timer", detail: `fires at ${event.FireAt}`,
        });
        break;
      case T.TimerFired:
        finish(`timer:${event.TimerId}`, event, index, "completed");
        break;
      case T.EventSent: {
        const message = parseJson(event.Input) || {};
        const entity = String(event.InstanceId || "").startsWith("@");
        const call = entity && !message.signal;
        begin(call ? `entity:${message.id}` : null, event, index, {
          kind: entity ? "entity" : "event",
          name: `${event.Name} → ${event.InstanceId}`,
          detail: call ? "call" : "signal",
        });
        break;
      }
      case T.EventRaised: {
        const reply = parseJson(parseJson(event.Input)?.result);
        const text = reply === undefined ? undefined : JSON.stringify(reply);
        if (!finish(`entity:${event.Name}`, event, index, "completed", text)) {
          begin(null, event, index, { kind: "event", name: `event ${event.Name}`, detail: "external event" });
        }
        break;
      }
      default:
        break;
    }
  });
  return spans;
}

/**
 * Each span's left edge and width in percent of the axis. The axis is time when the history
 * spans at least a millisecond, else the order of events (a paused virtual clock stamps a whole
 * run within microseconds). Pending spans run to the end of the axis.
 */
export function layout(spans, history, now) {
  const stamps = history.map((e) => Date.parse(e.Timestamp)).filter((t) => !Number.isNaN(t));
  const first = Math.min(...stamps);
  const last = Math.max(...stamps, now ? Date.parse(now) : -Infinity);
  const byTime = stamps.length > 0 && last - first >= 1;
  const steps = Math.max(history.length - 1, 1);
  const position = (stamp, index) => {
    if (index === null) return 100;
    return byTime ? ((Date.parse(stamp) - first) / (last - first)) * 100 : (index / steps) * 100;
  };
  return {
    axis: byTime ? "time" : "order",
    rows: spans.map((span) => {
      const left = Math.min(position(span.start, span.from), 99.5);
      const right = position(span.end, span.to);
      return { span, left, width: Math.max(right - left, 0.5) };
    }),
  };
}
