"""HTTP routes: customer onboarding (function chaining) and customer look-ups."""

from __future__ import annotations

import asyncio

import azure.durable_functions as df
import azure.functions as func
from pydantic import ValidationError

from api.access import Access
from api.http import (
    HttpProblem,
    accepted,
    json_response,
    parse_body,
    parse_params,
    require_allowed_recipients,
)
from api.routing import Routes
from api.start_once import JOIN, start_once
from shared import customer_store, instance_ids, onboarding_store
from shared.models.customers import (
    CustomerQuery,
    CustomerRoute,
    CustomerView,
    OnboardingInput,
    OnboardingRequest,
)
from shared.models.http import AcceptedResponse

routes = Routes("customers")
bp = routes.bp


@routes.route(
    "POST",
    "customers",
    access=Access.FUNCTION,
    client=True,
    summary="Onboard a customer: create them, open their account, send a welcome",
    request=OnboardingRequest,
    responses={202: AcceptedResponse},
    errors=(409,),
)
async def start_customer_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """One onboarding per e-mail: a re-post points at the first one (see api/start_once.py).

    The e-mail and name are stored by onboarding key; the orchestration's input holds only
    that key and the details' fingerprint.
    """
    request = await parse_body(req, OnboardingRequest)
    require_allowed_recipients({"email": request.email})
    orchestration = OnboardingInput(
        onboarding_key=request.key, details_fingerprint=request.fingerprint()
    )
    instance_id = instance_ids.onboarding(request.key)
    await start_once(
        client,
        JOIN,
        "customer_onboarding",
        instance_id,
        orchestration.to_json(),
        same_request=lambda stored: _same_onboarding(stored, orchestration),
        conflict_detail="this e-mail is already being onboarded with a different name",
        # A failed onboarding may be re-posted with a corrected name: its steps only create
        # rows, and create_customer keeps a customer already claimed for this e-mail.
        restart_with_other_details=True,
        before_start=lambda: asyncio.to_thread(onboarding_store.save_onboarding_details, request),
    )
    return accepted(instance_id)


def _same_onboarding(stored: object, orchestration: OnboardingInput) -> bool:
    try:
        return OnboardingInput.from_json(stored) == orchestration
    except ValidationError:
        return True  # an input we cannot read is treated as a retry: nothing new starts


@routes.route(
    "GET",
    "customers/{customerId}",
    access=Access.ADMIN,
    path=CustomerRoute,
    summary="A customer and their account",
    responses={200: CustomerView},
    errors=(400, 404),
)
async def get_customer(req: func.HttpRequest) -> func.HttpResponse:
    route = parse_params(req.route_params, CustomerRoute, "route")
    return json_response(await asyncio.to_thread(_view, route.customer_id))


@routes.route(
    "GET",
    "customers",
    access=Access.ADMIN,
    summary="Find the customer who owns an e-mail address",
    query=CustomerQuery,
    responses={200: CustomerView},
    errors=(400, 404),
)
async def find_customer_by_email(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_params(req.params, CustomerQuery, "query")
    customer_id = await asyncio.to_thread(customer_store.find_customer_id, query.email)
    if customer_id is None:
        raise HttpProblem(404, "Not found", "no customer has this e-mail address")
    return json_response(await asyncio.to_thread(_view, customer_id))


def _view(customer_id: str) -> CustomerView:
    """Blocking Table reads: call it through `asyncio.to_thread`."""
    customer = customer_store.get_customer(customer_id)
    if customer is None:
        raise HttpProblem(404, "Not found", f"customer '{customer_id}' does not exist")
    return CustomerView(
        customer_id=customer.customer_id,
        email=customer.email,
        name=customer.name,
        created_at=customer.created_at,
        account=customer_store.get_account(customer_id),
    )
