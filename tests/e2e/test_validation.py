"""Bad input is refused up front with an RFC 9457 problem that names each offending field."""

from __future__ import annotations

from tests.e2e.support.client import ApiClient, Json, expect_problem
from tests.e2e.support.shop import address, email, order, stock, unique


def errors_by_field(problem: Json) -> dict[str, str]:
    return {error["field"]: error["type"] for error in problem["errors"]}


def test_an_order_names_every_bad_field_at_once(api: ApiClient) -> None:
    body = {
        "customerEmail": "not-an-email",
        "items": [],
        "paymentMethod": "4111111111111111",
        "shippingAddress": {**address(), "country": "Germany"},
    }
    problem = expect_problem(
        api.post("/orders", body),
        400,
        ["customerEmail", "items", "paymentMethod", "shippingAddress.country"],
    )
    assert problem["title"] == "Invalid request"
    assert "4 invalid field(s)" in problem["detail"]

    sku = unique("sku")
    twice = order({sku: 1})
    twice["items"] = [{"sku": sku, "quantity": 1}, {"sku": sku, "quantity": 2}]
    expect_problem(api.post("/orders", twice), 400, ["items"])
    expect_problem(api.post("/orders", {**order({sku: 0})}), 400, ["items.0.quantity"])
    expect_problem(api.post("/orders", {**order({sku: 1}), "coupon": "FREE"}), 400, ["coupon"])
    slow = order({sku: 1}, stepRetry={"maxAttempts": 50, "firstDelaySeconds": 1})
    expect_problem(api.post("/orders", slow), 400, ["stepRetry.maxAttempts"])


def test_customers_inventory_and_approvals_name_their_bad_fields(api: ApiClient) -> None:
    problem = expect_problem(
        api.post("/customers", {"email": "ada@", "name": ""}), 400, ["email", "name"]
    )
    assert set(errors_by_field(problem)) == {"email", "name"}
    expect_problem(api.post("/customers", {"name": "Ada"}), 400, ["email"])
    expect_problem(api.get("/customers", {"email": "nope"}), 400, ["email"])

    sku = stock(api, 1)
    expect_problem(
        api.put(f"/inventory/{sku}", {"quantity": -1, "unitPrice": "1.234"}),
        400,
        ["quantity", "unitPrice"],
    )
    expect_problem(api.get("/inventory/has%20space"), 400, ["sku"])
    expect_problem(api.get(f"/inventory/{unique('sku')}"), 404)

    requester = email("requester")
    self_approval = {
        "requester": requester,
        "amount": "10",
        "description": "Lunch",
        "approvers": [requester.upper()],
    }
    expect_problem(api.post("/approvals", self_approval), 400, ["approvers"])
    both = {
        **self_approval,
        "approvers": [email("manager")],
        "stageTimeoutHours": 1,
        "stageTimeoutSeconds": 60,
    }
    expect_problem(api.post("/approvals", both), 400, ["stageTimeoutSeconds"])
    expect_problem(
        api.post("/approvals", {**self_approval, "approvers": [], "amount": "0"}),
        400,
        ["approvers", "amount"],
    )
    expect_problem(api.get("/notifications"), 400, ["correlationId"])
    expect_problem(api.get("/notifications", {"correlationId": "x", "kind": "spam"}), 400, ["kind"])


def test_bodies_must_be_json_of_a_sane_size(api: ApiClient) -> None:
    malformed = expect_problem(
        api.post("/customers", content='{"email": ', headers={"Content-Type": "application/json"}),
        400,
        ["body"],
    )
    assert malformed["title"] == "Malformed JSON"
    expect_problem(api.post("/customers"), 400, ["body"])
    expect_problem(
        api.post("/customers", content="email=a@b.c", headers={"Content-Type": "text/plain"}), 415
    )
    huge = '{"email": "a@example.com", "name": "' + "x" * (3 * 1024 * 1024) + '"}'
    expect_problem(
        api.post("/customers", content=huge, headers={"Content-Type": "application/json"}), 413
    )
