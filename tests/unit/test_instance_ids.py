"""Instance ids: each pattern under its own prefix, and a chosen batch id under none of them."""

from __future__ import annotations

import pytest

from shared import instance_ids
from shared.models.customers.customer import email_key

pytestmark = pytest.mark.unit

BUILT = {
    instance_ids.ORDER: instance_ids.order("o-1"),
    instance_ids.ONBOARDING: instance_ids.onboarding(email_key("ada@example.com")),
    instance_ids.APPROVAL: instance_ids.approval(),
    instance_ids.EXPORT_MONITOR: instance_ids.export_monitor(),
    instance_ids.HEALTH_MONITOR: instance_ids.health_monitor("shop-api"),
}


def test_every_prefix_of_the_module_is_reserved() -> None:
    """A prefix added for a new pattern without reserving it fails here."""
    prefixes = {
        value
        for name, value in vars(instance_ids).items()
        if name.isupper() and isinstance(value, str) and value.endswith("-")
    }
    assert prefixes == set(instance_ids.RESERVED_PREFIXES) == set(BUILT)


@pytest.mark.parametrize(("prefix", "instance_id"), BUILT.items())
def test_each_builder_uses_its_own_prefix_and_no_other(prefix: str, instance_id: str) -> None:
    assert instance_id.startswith(prefix)
    longer = [p for p in instance_ids.RESERVED_PREFIXES if p != prefix and p.startswith(prefix)]
    assert not any(instance_id.startswith(p) for p in longer)
    assert instance_ids.is_reserved(instance_id)


def test_derived_ids_are_stable_and_minted_ids_are_fresh() -> None:
    assert instance_ids.order("o-1") == "order-o-1"
    assert instance_ids.health_monitor("shop-api") == "health-monitor-shop-api"
    assert instance_ids.approval() != instance_ids.approval()
    assert instance_ids.export_monitor() != instance_ids.export_monitor()


@pytest.mark.parametrize("chosen", ["ORDER-1", "Onboarding-x", "aPPROVAL-", "Monitor-7"])
def test_a_chosen_id_is_compared_in_any_case(chosen: str) -> None:
    assert instance_ids.is_reserved(chosen)


@pytest.mark.parametrize("chosen", ["orders-2026", "batch-1", "monitoring", "health-check"])
def test_ids_that_only_look_alike_are_free(chosen: str) -> None:
    assert not instance_ids.is_reserved(chosen)


def test_chunk_ids_are_deterministic_and_new_per_attempt() -> None:
    assert instance_ids.batch_chunk("b-1", 3) == "b-1:chunk-3"
    assert instance_ids.batch_chunk("b-1", 3, attempt=1) == "b-1:chunk-3"
    assert instance_ids.batch_chunk("b-1", 3, attempt=2) == "b-1:chunk-3:attempt-2"
