"""One wording for pydantic validation errors: the clients file, settings, rate cards, HTTP
answers, Ecwid answers and items, stock feeds.

`where: message; ...`, where and what, never the input value: a settings error may be about
`DATABASE_URL` (a password inside), a clients-file error about a token reference, an Ecwid
answer may carry customer data. pydantic's "Value error, " prefix (our own validators' messages)
is dropped, and a forbidden extra field reads "unknown field".
"""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation(
    exc: ValidationError,
    limit: int | None = 5,
    *,
    top: str = "(top level)",
    label: str = "",
) -> str:
    """`cart.items.0.weight: Input should be ...; ...`: at most `limit` problems (None: all),
    then `... and N more`. `top` names a problem with the whole value (no field path);
    `label` goes before each path (the clients file says `field timezone: ...`)."""
    problems = exc.errors(include_url=False, include_input=False)
    parts = []
    for problem in problems if limit is None else problems[:limit]:
        where = ".".join(str(p) for p in problem["loc"]) or top
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{label}{where}: {message}")
    if limit is not None and len(problems) > limit:
        parts.append(f"... and {len(problems) - limit} more")
    return "; ".join(parts)
