"""The one wording for validation errors (clients file, settings, rate cards, Ecwid answers)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from npf_ecwid.validation_text import describe_validation


class Line(BaseModel):
    quantity: int


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    lines: list[Line]

    @field_validator("name")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 3:
            raise ValueError("too long")
        return value


def error(value: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Doc.model_validate(value)
    return caught.value


def test_where_and_what_never_the_value() -> None:
    bad = error({"name": "secret_abcdef", "lines": [{"quantity": "x"}], "colour": "red"})
    text = describe_validation(bad)
    assert text == (
        "name: too long; lines.0.quantity: Input should be a valid integer, unable to parse "
        "string as an integer; colour: unknown field"
    )
    assert "secret_abcdef" not in text and "red" not in text


def test_limit_label_and_top() -> None:
    bad = error({"name": "abcdef", "lines": [{"quantity": "x"}, {"quantity": "y"}]})
    assert describe_validation(bad, 1) == "name: too long; ... and 2 more"
    assert describe_validation(bad, None, label="field ").count("field ") == 3
    assert describe_validation(error([1]), top="(item)").startswith("(item): Input should be")
