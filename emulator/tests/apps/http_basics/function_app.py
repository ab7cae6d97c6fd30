"""Fixture: HTTP serving (route params, methods, query, body, headers, status, auth levels)."""

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="items/{item_id:int}/{label?}", methods=["GET", "PUT"], auth_level="anonymous")
def item(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "method": req.method,
        "route": dict(req.route_params),
        "query": dict(req.params),
        "header": req.headers.get("x-test"),
        "body": req.get_body().decode() or None,
    }
    return func.HttpResponse(
        json.dumps(body),
        status_code=201 if req.method == "PUT" else 200,
        mimetype="application/json",
        headers={"x-reply": "yes"},
    )


@app.route(route="async-echo", methods=["POST"], auth_level="anonymous")
async def async_echo(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    payload = req.get_json()
    return func.HttpResponse(
        json.dumps({"got": payload, "function": context.function_name}),
        mimetype="application/json",
    )


@app.route(route="boom", auth_level="anonymous")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("unhandled")


@app.route(route="secret")
def secret(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("function level")


@app.route(route="admin-only", auth_level="admin")
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin level")


@app.function_name("renamed_function")
@app.route(route="plain-text")
def plain_text(req: func.HttpRequest) -> str:
    return "just text"
