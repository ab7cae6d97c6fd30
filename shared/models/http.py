"""Shapes every HTTP route shares: the problem document and the async-API 202 body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.models.base import Contract


class FieldProblem(Contract):
    """One offending input field."""

    field: str = Field(description="Dotted path of the field, e.g. `items.3.id`, or `body`.")
    message: str
    type: str = Field(description="Machine-readable error type, e.g. `missing`, `too_long`.")


class Problem(BaseModel):
    """RFC 9457 problem details, served as `application/problem+json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


class AcceptedResponse(Contract):
    """Body of a 202 from a starter: where to poll and how to manage the instance.

    URLs point at this app's own endpoints (behind function keys). The host's built-in
    webhook URLs carry the system key and are never returned to callers.
    """

    id: str
    status_url: str
    terminate_url: str
    suspend_url: str
    resume_url: str
    purge_url: str
