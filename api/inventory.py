"""HTTP routes: set and read a SKU's stock, so orders can be made to succeed or fail."""

from __future__ import annotations

import asyncio

import azure.functions as func

from api.access import Access
from api.http import HttpProblem, json_response, parse_body, parse_params
from api.routing import Routes
from shared import inventory_store
from shared.etag import ConcurrencyExhausted
from shared.models.inventory import InventoryItem, InventoryUpdate, SkuRoute

routes = Routes("inventory")
bp = routes.bp


@routes.route(
    "PUT",
    "inventory/{sku}",
    access=Access.FUNCTION,
    path=SkuRoute,
    summary="Set the units available to reserve and the unit price of a SKU",
    request=InventoryUpdate,
    responses={200: InventoryItem, 201: InventoryItem},
    errors=(503,),
)
async def set_inventory_item(req: func.HttpRequest) -> func.HttpResponse:
    """Units already reserved by orders are kept; 201 when the SKU is new."""
    route = parse_params(req.route_params, SkuRoute, "route")
    update = await parse_body(req, InventoryUpdate)
    try:
        item, created = await asyncio.to_thread(
            inventory_store.set_stock, route.sku, update.quantity, update.unit_price
        )
    except ConcurrencyExhausted as exc:
        raise HttpProblem(
            503, "Busy", f"{exc}; retry shortly", headers={"Retry-After": "1"}
        ) from None
    return json_response(item, status=201 if created else 200)


@routes.route(
    "GET",
    "inventory/{sku}",
    access=Access.FUNCTION,
    path=SkuRoute,
    summary="A SKU's available and reserved units and its unit price",
    responses={200: InventoryItem},
    errors=(400, 404),
)
async def get_inventory_item(req: func.HttpRequest) -> func.HttpResponse:
    route = parse_params(req.route_params, SkuRoute, "route")
    item = await asyncio.to_thread(inventory_store.get_item, route.sku)
    if item is None:
        raise HttpProblem(404, "Not found", f"sku '{route.sku}' is not stocked")
    return json_response(item)
