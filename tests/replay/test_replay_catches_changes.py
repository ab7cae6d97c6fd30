"""The replay check catches the changes that break running instances, and says where.

Each test edits a copy of an orchestrator module (never the real code), replays a committed
history against the copy, and asserts the message a developer would read.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

from tests.replay.history_file import HISTORIES, RecordedInstance, load
from tests.replay.replayer import Orchestrator, app_orchestrators, replay_failure
from tests.support.functions import user_function

ORCHESTRATORS = Path(__file__).resolve().parents[2] / "orchestrators"


def mutant(module: str, function: str, *edits: tuple[str, str]) -> Orchestrator:
    """`orchestrators/<module>.py` with `edits` applied, loaded as a module of its own."""
    source = (ORCHESTRATORS / f"{module}.py").read_text(encoding="utf-8")
    for old, new in edits:
        assert source.count(old) == 1, (
            f"the mutation no longer applies to orchestrators/{module}.py (update this test): "
            f"{old!r}"
        )
        source = source.replace(old, new)
    name = f"_mutant_{module}"
    copy = types.ModuleType(name)
    sys.modules[name] = copy  # dataclasses and pydantic look their module up while defined
    try:
        exec(compile(source, f"<edited copy of orchestrators/{module}.py>", "exec"), copy.__dict__)
    finally:
        del sys.modules[name]
    return user_function(getattr(copy, function))


def history(label: str) -> RecordedInstance:
    return load(HISTORIES / f"{label}.json")


def failure_of(label: str, orchestrator: Orchestrator) -> str:
    message = replay_failure(history(label), orchestrator)
    assert message is not None, f"the edited copy still replays {label}"
    return message


def test_an_unchanged_copy_replays_cleanly() -> None:
    """The copies below fail because of their edit, not because they are copies."""
    assert (
        replay_failure(
            history("customer_onboarding/completed"), mutant("onboarding", "customer_onboarding")
        )
        is None
    )


def test_a_renamed_activity_is_caught_at_its_step() -> None:
    renamed = mutant(
        "onboarding",
        "customer_onboarding",
        ('"open_customer_account",', '"open_account",'),
    )

    message = failure_of("customer_onboarding/completed", renamed)

    assert message.startswith(
        "Replay of customer_onboarding/completed departs from its recorded history "
        "(tests/replay/histories/customer_onboarding/completed.json)."
    )
    assert (
        "First differing step: step 2, scheduled in episode 2, after TaskCompleted of "
        "activity 'create_customer'" in message
    )
    assert "  recorded: activity 'open_customer_account' with input {" in message
    assert "  code now: activity 'open_account' with input {" in message
    assert "  (another activity: 'open_account' instead of 'open_customer_account')" in message
    assert "Steps before it still match:\n  1. activity 'create_customer' with input" in message
    assert "branch on context.version" in message
    assert "make record-histories" in message


def test_a_reordered_step_is_caught_at_the_first_step_out_of_place() -> None:
    notify = (
        "        notified = yield from _notify(\n"
        "            context, _notice(request, "
        'f"notify-stage-{stage}", kind, stage, deadline)\n'
        "        )\n"
    )
    wait = "        outcome = yield from _await_decision(context, status, event_name, deadline)\n"
    reordered = mutant("expense_approval", "expense_approval", (notify + wait, wait + notify))

    message = failure_of("expense_approval/approved_by_manager", reordered)

    assert "case 'approved_by_manager'" in message
    assert "First differing step: step 1, scheduled in episode 1 (the first)" in message
    assert "  recorded: activity 'notify_approval_party' with input {" in message
    assert "  code now: timer firing at 2026-02-14T10:00:00+00:00" in message
    assert "  (a timer where the instance scheduled an activity)" in message


def test_a_changed_timer_is_caught_with_how_far_it_moved() -> None:
    slower = mutant(
        "health_monitor",
        "health_monitor",
        (
            "timedelta(seconds=state.interval_seconds)",
            "timedelta(seconds=2 * state.interval_seconds)",
        ),
    )

    message = failure_of("health_monitor/alert_resolve_stop", slower)

    assert ", execution 1 of " in message  # the eternal monitor's first generation
    assert "  recorded: timer firing at " in message
    assert "  (the timer fires 0:01:00 later than the recorded one)" in message


def test_a_version_branch_that_moved_is_caught_for_the_version_it_moved_away_from() -> None:
    later = mutant(
        "batch",
        "process_batch_chunk",
        ('PRICE_BATCH_ITEM_SINCE: Final = "1.1"', 'PRICE_BATCH_ITEM_SINCE: Final = "2.0"'),
    )

    message = failure_of("process_batch_chunk/version_1_1_price_batch_item", later)

    assert "instance version 1.1" in message
    assert "(another activity: 'process_batch_item' instead of 'price_batch_item')" in message
    assert (
        replay_failure(history("process_batch_chunk/version_1_0_process_batch_item"), later) is None
    )


def test_dropping_the_version_branch_breaks_the_chunks_recorded_before_it() -> None:
    unbranched = mutant(
        "batch",
        "process_batch_chunk",
        (
            "context, item_activity(context.version), request",
            'context, "price_batch_item", request',
        ),
    )

    message = failure_of("process_batch_chunk/version_1_0_process_batch_item", unbranched)

    assert "instance version 1.0" in message
    assert "(another activity: 'price_batch_item' instead of 'process_batch_item')" in message
    assert (
        replay_failure(history("process_batch_chunk/version_1_1_price_batch_item"), unbranched)
        is None
    )


def test_both_version_branches_replay_with_todays_code() -> None:
    chunk = app_orchestrators()["process_batch_chunk"]
    old, new = (
        history("process_batch_chunk/version_1_0_process_batch_item"),
        history("process_batch_chunk/version_1_1_price_batch_item"),
    )

    assert (old.version, new.version) == ("1.0", "1.1")
    assert replay_failure(old, chunk) is None
    assert replay_failure(new, chunk) is None


def test_a_renamed_event_is_caught_where_the_recorded_decision_no_longer_arrives() -> None:
    renamed = mutant(
        "expense_approval",
        "expense_approval",
        ("event_name = decision_event_name(stage)", 'event_name = f"decided-{stage}"'),
    )

    message = failure_of("expense_approval/approved_by_manager", renamed)

    assert "First differing step: step 3, scheduled in episode " in message
    assert "after EventRaised 'decision-stage-1'" in message
    assert (
        "  code now: no such step: it waits for 'decided-1'; the history raised "
        "'decision-stage-1', which it never waits for"
    ) in message


def test_an_input_contract_the_recorded_input_no_longer_meets_is_caught_before_any_step() -> None:
    stricter = mutant(
        "onboarding",
        "customer_onboarding",
        (
            "request = read_input(context, OnboardingInput)",
            "request = read_input(context, CreateCustomerRequest)",
        ),
    )

    message = failure_of("customer_onboarding/completed", stricter)

    assert "First differing step: step 1, scheduled in episode 1 (the first)" in message
    assert (
        "  code now: no such step: the orchestrator raised invalid orchestration input (" in message
    )
