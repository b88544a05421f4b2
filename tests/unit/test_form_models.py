"""Forms as typed models (service_kit/form_fields.py): repeated names, gathered prefixes, bounds
and the form's description in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
import pytest

from sale_backend.web import forms, openapi
from service_kit.errors import InvalidInput
from service_kit.form_fields import FormModel, decode_form, form_schema, form_values

Count = Annotated[int, msgspec.Meta(ge=0, le=9)]


class Order(FormModel):
    form_prefixes: ClassVar[dict[str, str]] = {"counts": "n_"}
    token: str
    counts: Annotated[
        dict[Annotated[str, msgspec.Meta(pattern="^[a-z]+$")], Count], msgspec.Meta(max_length=3)
    ] = msgspec.field(default_factory=dict)
    tags: list[str] = msgspec.field(default_factory=list)
    note: str = ""


def test_repeated_names_gathered_prefixes_and_first_values() -> None:
    items = [
        ("token", "t1"),
        ("token", "t2"),
        ("n_apple", " 2 "),
        ("n_pear", ""),
        ("n_", "5"),
        ("tags", "a"),
        ("tags", "b"),
        ("unknown", "kept aside"),
    ]
    assert form_values(items, Order) == {
        "counts": {"apple": "2"},
        "token": "t1",
        "n_": "5",
        "tags": ["a", "b"],
        "unknown": "kept aside",
    }
    decoded = decode_form(items, Order)
    assert decoded == Order(token="t1", counts={"apple": 2}, tags=["a", "b"])
    assert decode_form([("token", "t"), ("tags", "one")], Order).tags == ["one"]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([("token", "t"), ("n_apple", "ten")], "counts"),
        ([("token", "t"), ("n_apple", "10")], "counts"),
        ([("token", "t"), ("n_Apple", "1")], "counts"),
        ([("token", "t"), ("n_a", "1"), ("n_b", "1"), ("n_c", "1"), ("n_d", "1")], "counts"),
        ([("n_apple", "1")], "token"),
    ],
)
def test_bad_values_name_the_models_field(items: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_form(items, Order)
    assert str(refused.value.extra["field"]).startswith(field)


def test_the_schema_describes_the_form_as_posted() -> None:
    schema = form_schema(Order)
    assert "counts" not in schema["properties"]
    assert schema["patternProperties"] == {
        "^n_[a-z]+$": {"type": "integer", "minimum": 0, "maximum": 9}
    }
    assert schema["properties"]["tags"]["type"] == "array"
    assert schema["required"] == ["token"]


def test_the_shops_document_describes_each_form_field_by_field() -> None:
    paths = openapi.document()["paths"]

    def form(path: str) -> dict[str, Any]:
        body = paths[path]["post"]["requestBody"]["content"]
        return dict(body["application/x-www-form-urlencoded"]["schema"])

    hold = form("/events/{event_id}/hold")
    assert set(hold["patternProperties"]) == {"^qty_[A-Za-z0-9_-]{1,32}$"}
    assert set(hold["properties"]) == {"csrf_token", "seat"}
    checkout = form("/holds/{hold_id}/checkout")
    assert checkout["required"] == ["csrf_token", "card_number", "name", "email", "idempotency_key"]
    refund = form("/orders/{order_id}/refund")
    assert set(refund["properties"]) == {"csrf_token", "access", "ticket_id", "confirm"}
    assert form_schema(forms.RefundForm) == refund
