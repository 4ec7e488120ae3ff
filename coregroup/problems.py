"""Every error the API (and any other JSON route) answers with: RFC 9457 problem details.

    HTTP/1.1 422
    Content-Type: application/problem+json

    {"type": "/api/v1/docs#problem-invalid", "status": 422, "code": "invalid",
     "title": "The plan is not valid",               (translated, one per code)
     "detail": "…", "pointer": "/needs/0/what",      (RFC 6901: where the first problem is)
     "errors": [{"pointer": "/needs/0/what", "code": "required", "detail": "…"}],
     "error": "invalid", "field": "/needs/0/what", "message": "…"}

`code` is stable for machines; `title` is for people, in the caller's language. `error`, `field`
and `message` repeat `code`, `pointer` and `detail` for clients written before this format
(deprecated: read the others).
"""

from __future__ import annotations

import json

from flask import Response
from flask_babel import lazy_gettext as _l

MEDIA_TYPE = "application/problem+json"

TITLES = {
    "bad_request": _l("The request is not right"),
    "invalid": _l("What was sent is not valid"),
    "invalid_json": _l("The body is not JSON"),
    "invalid_patch": _l("The patch cannot be applied"),
    "invalid_text": _l("The text holds characters that cannot be kept"),
    "repeated_key": _l("A key is given twice in one object"),
    "too_deep": _l("The JSON is nested too deeply"),
    "unauthorised": _l("Sign in first"),
    "forbidden": _l("That is not allowed"),
    "insufficient_scope": _l("The token lacks the scope this needs"),
    "not_found": _l("Not found"),
    "method_not_allowed": _l("That cannot be done here"),
    "conflict": _l("Someone else changed the same answers"),
    "exists": _l("It exists already"),
    "not_applicable": _l("This does not apply to this case"),
    "precondition_required": _l("Say which version you changed (If-Match)"),
    "precondition_failed": _l("That is not a version of this plan"),
    "too_large": _l("What was sent is too large"),
    "unsupported_media_type": _l("The body is not of a type this accepts"),
    "rate_limited": _l("Too many tries"),
    "server_error": _l("There is a problem with the service"),
    "unavailable": _l("The service is not available right now"),
}
# The code of a generic HTTP error, when nothing more particular is known.
BY_STATUS = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    428: "precondition_required",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def _item(found: dict) -> dict:
    pointer = found.get("pointer", found.get("field", ""))
    detail = found.get("detail", found.get("message", ""))
    item = {"pointer": pointer, "code": found.get("code", "invalid"), "detail": str(detail)}
    return item | {"field": pointer, "message": str(detail)}


def problem(
    status: int,
    code: str | None = None,
    detail: str = "",
    pointer: str = "",
    errors: list[dict] | None = None,
    headers: dict | None = None,
    **extra,
) -> Response:
    """A problem details response. `errors`: each {"pointer", "code", "detail"}."""
    code = code or BY_STATUS.get(status, "bad_request")
    listed = [_item(e) for e in errors or []]
    if listed and not pointer:
        pointer = listed[0]["pointer"]
    if listed and not detail:
        detail = listed[0]["detail"]
    body = {
        # Each code is described on the API's page (a relative reference, as RFC 9457 allows).
        "type": f"/api/v1/docs#problem-{code}",
        "status": status,
        "code": code,
        "title": str(TITLES[code]) if code in TITLES else code,
        "detail": str(detail),
        "pointer": pointer,
        **({"errors": listed} if listed else {}),
        **extra,
        "error": code,
        "field": pointer,
        "message": str(detail),
    }
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE, headers=headers
    )
