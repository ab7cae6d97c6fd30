"""Control operations on instances: terminate, suspend, resume, purge, restart and rewind.

Terminate, suspend and resume are queued while an episode runs and applied when it ends, so
they never interleave with the history an episode is writing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from durable_localhost import persistence
from durable_localhost.history import EventType, event
from durable_localhost.ids import new_hex_id
from durable_localhost.lifecycle import parent_notification, terminated_events
from durable_localhost.model import Instance, ParentRef, RuntimeStatus
from durable_localhost.rewind_plan import RerunChild, plan_rewind

if TYPE_CHECKING:
    from durable_localhost.engine import Engine


class ControlOperations:
    """The management API's operations on one engine's instances."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def terminate(self, instance: Instance, reason: str | None) -> None:
        """Queue or apply termination."""
        self._queue(instance, "terminate", reason or "")

    def suspend(self, instance: Instance, reason: str | None) -> None:
        """Queue or apply suspension."""
        self._queue(instance, "suspend", reason or "")

    def resume(self, instance: Instance, reason: str | None) -> None:
        """Queue or apply resumption."""
        self._queue(instance, "resume", reason or "")

    def _queue(self, instance: Instance, operation: str, reason: str) -> None:
        instance.pending_control.append((operation, reason))
        if not instance.running:
            self.apply_pending(instance)
        else:
            self.engine.mark_dirty(instance)

    def apply_pending(self, instance: Instance) -> None:
        """Apply queued operations in order, unless an episode is running."""
        engine = self.engine
        while instance.pending_control and not instance.running:
            operation, reason = instance.pending_control.pop(0)
            if instance.status.is_terminal:
                continue
            now = engine.stamp()
            if operation == "terminate":
                if instance.queued:
                    instance.queued = False
                    engine.tracker.end()
                history = terminated_events(instance, reason, now)
                engine.finish(instance, history, RuntimeStatus.TERMINATED, json.dumps(reason), now)
            elif operation == "suspend" and instance.status is not RuntimeStatus.SUSPENDED:
                instance.status = RuntimeStatus.SUSPENDED
                suspended = event(EventType.EXECUTION_SUSPENDED, now, Reason=reason)
                engine.commit_history(instance, [suspended], [])
            elif operation == "resume" and instance.status is RuntimeStatus.SUSPENDED:
                instance.status = RuntimeStatus.RUNNING
                resumed = event(EventType.EXECUTION_RESUMED, now, Reason=reason)
                engine.commit_history(instance, [resumed], [])
                engine.schedule(instance)
            engine.mark_dirty(instance)
            engine.tracker.notify()

    def purge(self, instance: Instance) -> bool:
        """Delete a finished instance; live ones are kept, as the extension documents purge."""
        if not instance.status.is_terminal:
            return False
        self.engine.instances.pop(instance.instance_id, None)
        self.engine.store.write(persistence.delete_instance(instance.instance_id))
        return True

    def restart(self, instance: Instance, new_instance_id: bool) -> Instance:
        """Start the same orchestrator with the same input (``restart`` API).

        A restart is a new start, so it gets this host's ``defaultVersion``, as on the host.
        """
        target = new_hex_id() if new_instance_id else instance.instance_id
        return self.engine.start_orchestration(instance.name, target, instance.input)

    async def rewind(self, instance: Instance, reason: str | None) -> None:
        """Clear a failed instance's failures, run what failed again and wake it (Pending)."""
        engine = self.engine
        history = await engine.history_of(instance)
        if (
            instance.status is not RuntimeStatus.FAILED
            or engine.get(instance.instance_id) is not instance
        ):
            return  # rewound, purged or overwritten while its history was read
        plan = plan_rewind(instance, history)
        now = engine.stamp()
        engine.store.write(persistence.clear_history(instance.instance_id))
        instance.history, instance.played_json, instance.history_seq = [], [], 0
        instance.history_loaded = True
        instance.status = RuntimeStatus.PENDING
        instance.output = None
        instance.updated = now
        instance.next_event_id = plan.next_event_id
        instance.retries.update(plan.retries)
        engine.commit_history(instance, plan.history, [])
        # On the host the wake-up episode schedules them anew, so its replay always runs
        # before their results can arrive: they are dispatched after that episode.
        instance.rewound_activities = [(a.task_id, a.name, a.payload) for a in plan.activities]
        for timer_id, fire_at in plan.timers.items():
            engine.timers.arm(instance, timer_id, fire_at, now)
        for child in plan.children:
            await self._rerun_child(instance, child, reason)
        engine.deliver(instance, event(EventType.GENERIC, now, Data=reason or ""))

    async def _rerun_child(self, parent: Instance, child: RerunChild, reason: str | None) -> None:
        """A sub-orchestration the rewound parent waits for: rewound, re-reported or restarted."""
        engine = self.engine
        existing = engine.get(child.instance_id)
        if existing is None:
            ref = ParentRef(
                parent.instance_id, parent.execution_id, child.task_id, parent.name, parent.version
            )
            payload = json.dumps(child.payload)
            engine.start_orchestration(
                child.name, child.instance_id, payload, version=child.version, parent=ref
            )
        elif existing.status is RuntimeStatus.FAILED:
            await self.rewind(existing, reason)
        elif existing.status.is_terminal and existing.parent is not None:
            # It finished while the parent was failed, so its answer was dropped.
            engine.deliver(parent, parent_notification(existing, existing.status, engine.stamp()))
