"""HTTP answers as plain data, `(status, JSON object)`, for the endpoints the public app serves.

The rates endpoint (`shipping/`) and the webhook receiver (`webhooks/`) answer Ecwid the same
way: a 4xx whose body says what is wrong, never a stack trace or the input echoed back. The
helpers live here, below both, so that `shipping` (the app that mounts the receiver) depends on
`webhooks` and not the other way round.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from npf_ecwid.validation_text import describe_validation

Answer = tuple[int, dict[str, Any]]


def error(status: int, code: str, message: str) -> Answer:
    return status, {"error": code, "message": message}


def parse_json_model(model: Any, body: bytes) -> tuple[Any, Answer | None]:
    """`model` parsed from `body`, or a 400 (not JSON) / 422 (wrong shape) answer."""
    try:
        return model.model_validate_json(body), None
    except ValidationError as exc:
        kinds = {p["type"] for p in exc.errors(include_url=False, include_input=False)}
        if "json_invalid" in kinds:
            return None, error(400, "invalid_json", "the request body is not valid JSON")
        if "model_type" in kinds and exc.error_count() == 1 and not exc.errors()[0]["loc"]:
            return None, error(422, "invalid_request", "the request body must be a JSON object")
        return None, error(422, "invalid_request", describe_validation(exc))
