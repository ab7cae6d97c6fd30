"""Who is calling a route that records a person's decision (approvals, order recovery).

With App Service Authentication on (`WEBSITE_AUTH_ENABLED`), the signed-in principal
(`X-MS-CLIENT-PRINCIPAL-NAME`, which the platform sets and strips from client requests) and
nothing else: a request without it is a 401, and a body value naming someone else is a 403.
Without it (local development) the body's value is used and recorded as unverified
(`identitySource: request_body`).
"""

from __future__ import annotations

import azure.functions as func

from api.http import HttpProblem
from shared.models.approvals.expense import IdentitySource, same_person
from shared.models.http import FieldProblem
from shared.settings import platform_authentication_enabled

#: Set by App Service Authentication to the signed-in user's name (usually the UPN/e-mail).
PRINCIPAL_HEADER = "x-ms-client-principal-name"


def signed_in_caller(
    req: func.HttpRequest, claimed: str | None, field: str
) -> tuple[str, IdentitySource]:
    """Who is calling: the signed-in principal when App Service Authentication is on.

    Then the principal is required (401 without it) and a body value naming someone else is a
    403: the body never stands in for it. Without platform authentication the header is just
    something a caller sent, so it is ignored and the body's `field` is used, as a claim.
    """
    if platform_authentication_enabled():
        principal = (req.headers.get(PRINCIPAL_HEADER) or "").strip()
        if not principal:
            raise HttpProblem(
                401,
                "Sign-in required",
                "App Service Authentication is on, and the request carries no signed-in user",
            )
        if claimed is not None and not same_person(claimed, principal):
            raise HttpProblem(
                403,
                "Not the signed-in user",
                f"the body's {field} is not the signed-in user",
                [FieldProblem(field=field, message="must be the signed-in user", type="identity")],
            )
        return principal, IdentitySource.PRINCIPAL
    if claimed is None:
        raise HttpProblem(
            400,
            "Invalid request",
            f"who is calling is unknown: sign in, or give the {field}",
            [FieldProblem(field=field, message="Field required", type="missing")],
        )
    return claimed, IdentitySource.REQUEST_BODY
