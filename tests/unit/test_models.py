"""The typed models' input errors (the field a 400 names) and the OpenAPI generator's
guarantees (every route documented, path parameters described, body limits answered)."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from starlette.routing import Route

from service_kit.errors import InvalidInput
from service_kit.models import Model, StrictModel, convert_fields, decode_json
from service_kit.openapi import ApiRoute, Body, Operation, json, openapi_document, problem

Count = Annotated[int, msgspec.Meta(ge=0, le=10)]


class Line(StrictModel):
    tier_id: Annotated[str, msgspec.Meta(pattern="^[a-z]+$")]
    quantity: Count


class Order(StrictModel):
    lines: list[Line]
    by_minute: dict[int, Count] = msgspec.field(default_factory=dict)
    note: str = ""


class Loose(Model):
    code: str


def refused_field(raw: bytes) -> str:
    with pytest.raises(InvalidInput) as refused:
        decode_json(raw, Order, empty=b"{}")
    field = str(refused.value.extra["field"])
    assert field == "body" or refused.value.detail.startswith(field)
    return field


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{}", "lines"),
        (b"", "lines"),
        (b'{"lines": [{"tier_id": "ga"}]}', "lines[0].quantity"),
        (b'{"lines": [{"tier_id": "ga", "quantity": 11}]}', "lines[0].quantity"),
        (b'{"lines": [{"tier_id": "GA", "quantity": 1}]}', "lines[0].tier_id"),
        (b'{"lines": [{"tier_id": "ga", "quantity": true}]}', "lines[0].quantity"),
        (b'{"lines": [{"tier_id": "ga", "quantity": 1, "price": 5}]}', "lines[0].price"),
        (b'{"lines": [], "notte": "x"}', "notte"),
        (b'{"lines": [], "by_minute": {"yesterday": 1}}', "by_minute"),
        (b'{"lines": [], "by_minute": {"5": 99}}', "by_minute"),
        (b"[1]", "body"),
        (b"{", "body"),
    ],
)
def test_a_refusal_names_the_field(raw: bytes, field: str) -> None:
    assert refused_field(raw) == field


def test_a_valid_body_decodes_into_the_model() -> None:
    raw = b'{"lines": [{"tier_id": "ga", "quantity": 2}], "by_minute": {"7": 1}}'
    order = decode_json(raw, Order)
    assert order == Order([Line("ga", 2)], {7: 1})


def test_models_ignore_unknown_fields_unless_strict() -> None:
    assert decode_json(b'{"code": "x", "sequence": 4}', Loose) == Loose("x")


def test_form_text_is_converted_by_the_model() -> None:
    assert convert_fields({"tier_id": "ga", "quantity": "3"}, Line) == Line("ga", 3)
    with pytest.raises(InvalidInput) as refused:
        convert_fields({"tier_id": "ga", "quantity": "three"}, Line)
    assert refused.value.extra["field"] == "quantity"


async def endpoint(request: object) -> None:
    return None


def test_the_document_describes_bodies_answers_and_body_limits() -> None:
    route = ApiRoute(
        "/orders/{order_id}",
        endpoint,
        {
            "put": Operation(
                "Replace an order",
                {200: json(Order, "The order"), 400: problem("Bad input")},
                body=Body(json=Order),
            )
        },
    )
    document = openapi_document(
        "test", [route], path_types={"order_id": str}, security_schemes={}
    )
    operation = document["paths"]["/orders/{order_id}"]["put"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }
    assert sorted(operation["responses"]) == ["200", "400", "408", "413"]
    assert operation["parameters"][0] == {
        "name": "order_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    schemas = document["components"]["schemas"]
    assert schemas["Order"]["required"] == ["lines"] and "Line" in schemas
    assert schemas["Line"]["additionalProperties"] is False


def test_an_undocumented_route_or_parameter_fails_the_document() -> None:
    with pytest.raises(TypeError):
        openapi_document("test", [Route("/x", endpoint)], path_types={}, security_schemes={})
    described = ApiRoute("/x/{item_id}", endpoint, {"get": Operation("x", {})})
    with pytest.raises(ValueError, match="item_id"):
        openapi_document("test", [described], path_types={}, security_schemes={})


class Skipping(Model):
    """A request model: unknown fields are skipped, however deep they are."""

    tier_id: str = ""


@pytest.mark.parametrize(
    "body",
    [b'{"a":' * 5000 + b"1" + b"}" * 5000, b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
)
def test_a_body_nested_too_deeply_is_a_400_not_a_crash(body: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_json(body, Skipping)
    assert refused.value.extra["field"] == "body"
    assert "nested too deeply" in refused.value.detail
