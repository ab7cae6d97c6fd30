import azure.durable_functions as df
import azure.functions as func

# ruleid: anonymous-route
app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
# ok: anonymous-route
keyed = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
bp = df.Blueprint()


# ok: anonymous-route
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")


# ruleid: anonymous-route
@bp.route(route="orders", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def start_order(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("started")


# ruleid: anonymous-route
@bp.route(route="export", auth_level="anonymous")
def export(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("exported")


# ok: anonymous-route
@bp.route(route="customers", methods=["POST"])
async def start_onboarding(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("started")
