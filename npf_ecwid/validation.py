"""One wording for pydantic validation errors, for HTTP answers and rate card files alike."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation(exc: ValidationError, limit: int = 5) -> str:
    """`cart.items.0.weight: Input should be ...; ...`: where and what, never the input value."""
    parts = []
    for problem in exc.errors(include_url=False, include_input=False)[:limit]:
        where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}")
    if exc.error_count() > limit:
        parts.append(f"... and {exc.error_count() - limit} more")
    return "; ".join(parts)
