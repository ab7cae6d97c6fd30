"""Fixture: entity calls, signals and error replies from orchestrators and clients."""

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.entity_trigger(context_name="context", entity_name="Account")
def account(context: df.DurableEntityContext) -> None:
    balance = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "deposit":
        balance += context.get_input()
    elif operation == "withdraw":
        amount = context.get_input()
        if amount > balance:
            raise ValueError(f"insufficient funds: {balance} < {amount}")
        balance -= amount
    elif operation == "close":
        context.destruct_on_exit()
        return
    context.set_state(balance)
    context.set_result(balance)


@app.orchestration_trigger(context_name="context")
def banker(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    spec: dict[str, Any] = context.get_input() or {}
    account_id = df.EntityId("Account", spec["key"])
    context.signal_entity(account_id, "deposit", 10)
    after_call = yield context.call_entity(account_id, "deposit", 5)
    try:
        yield context.call_entity(account_id, "withdraw", 100)
        error = None
    except Exception as exc:
        error = str(exc)
    balance = yield context.call_entity(account_id, "get")
    return {"after_call": after_call, "error": error, "balance": balance}
