"""The OpenAPI 3.1 documents of both apps, generated from their route tables and models.

Each route of an app is an :class:`ApiRoute`: besides its path and endpoint it declares, per
HTTP method, an :class:`Operation` (summary, request body model, answer models per status,
parameters, security). :func:`openapi_document` walks the route table and turns the
declarations into paths, and the models (msgspec structs and annotated types) into JSON Schema
components with :func:`msgspec.json.schema_components`. A route that declares nothing, or a
path parameter nobody describes, is an error when the document is built: every route is
documented by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import orjson
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

PROBLEM_TYPE = "application/problem+json"
SCHEMA_REF = "#/components/schemas/{name}"
Security = tuple[Mapping[str, Sequence[str]], ...]
BEARER: Security = ({"bearer": ()},)
PUBLIC: Security = ({},)
"""An alternative without credentials (a cookie the document does not name)."""


class Problem(msgspec.Struct):
    """RFC 9457 problem details (extra members carry data about the error)."""

    type: str
    title: str
    status: int
    detail: str


@dataclass(frozen=True, slots=True)
class Answer:
    """One response: its description, media types with their models (``None``: text), and
    headers with theirs."""

    description: str
    content: tuple[tuple[str, Any], ...] = ()
    headers: tuple[tuple[str, Any], ...] = ()


def json(model: Any, description: str) -> Answer:
    return Answer(description, (("application/json", model),))


def problem(description: str) -> Answer:
    return Answer(description, ((PROBLEM_TYPE, Problem),))


def page(description: str) -> Answer:
    return Answer(description, (("text/html", None),))


def problem_or_page(description: str) -> Answer:
    """Handlers that also take HTML form posts answer those with a friendly page."""
    return Answer(
        f"{description} (a page for form posts)", ((PROBLEM_TYPE, Problem), ("text/html", None))
    )


def page_or_problem(description: str) -> Answer:
    """A refusal: an explaining page for browsers, a problem body for API clients."""
    return Answer(description, (("text/html", None), (PROBLEM_TYPE, Problem)))


def json_or_page(model: Any, description: str) -> Answer:
    return Answer(description, (("application/json", model), ("text/html", None)))


def redirect(description: str) -> Answer:
    return Answer(description, headers=(("Location", str),))


def text(description: str, media_type: str = "text/plain") -> Answer:
    return Answer(description, ((media_type, None),))


def empty(description: str, headers: tuple[tuple[str, Any], ...] = ()) -> Answer:
    return Answer(description, headers=headers)


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: a JSON model and/or a form model."""

    json: Any = None
    form: Any = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: Literal["path", "query", "header", "cookie"]
    type: Any = str
    description: str = ""
    required: bool = False


def header(name: str, description: str, type_: Any = str, required: bool = False) -> Parameter:
    return Parameter(name, "header", type_, description, required)


def query(name: str, description: str, type_: Any = str, required: bool = False) -> Parameter:
    return Parameter(name, "query", type_, description, required)


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    answers: Mapping[int, Answer]
    body: Body | None = None
    parameters: tuple[Parameter, ...] = ()
    query: Any = None
    """A struct whose fields are the query parameters (decoded with
    :func:`service_kit.models.read_query`)."""
    security: Security | None = None


class ApiRoute(Route):
    """A route with its documentation: ``operations`` maps each HTTP method it serves to what
    it takes and answers."""

    def __init__(
        self, path: str, endpoint: Any, operations: Mapping[str, Operation], **options: Any
    ) -> None:
        methods = [method.upper() for method in operations]
        super().__init__(path, endpoint, methods=methods, **options)
        self.operations = {method.lower(): operation for method, operation in operations.items()}


BODY_LIMIT_ANSWERS = {
    408: problem("The body did not arrive in time"),
    413: problem("The body is larger than this path accepts"),
}
"""Every operation that takes a body may also answer these (service_kit/body_limit.py)."""
_PATH_PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")


@dataclass(slots=True)
class _Schemas:
    """Collects the types used in a document, then generates their schemas in one go."""

    types: list[Any] = field(default_factory=list)
    generated: list[dict[str, Any]] = field(default_factory=list)
    components: dict[str, Any] = field(default_factory=dict)

    def reference(self, model: Any) -> int:
        for index, known in enumerate(self.types):
            if known is model or known == model:
                return index
        self.types.append(model)
        return len(self.types) - 1

    def generate(self) -> None:
        generated, self.components = msgspec.json.schema_components(
            self.types, ref_template=SCHEMA_REF
        )
        self.generated = list(generated)

    def schema(self, index: int) -> dict[str, Any]:
        return self.generated[index]


class _Builder:
    def __init__(self, path_types: Mapping[str, Any]) -> None:
        self.path_types = path_types
        self.schemas = _Schemas()
        self.pending: list[tuple[dict[str, Any], int]] = []
        """(a dict to get a ``schema``, the index of its type): filled in after generation."""

    def _schema_slot(self, target: dict[str, Any], model: Any) -> None:
        """``target["schema"]`` becomes the schema of ``model`` (``None``: text) once made."""
        if model is None:
            target["schema"] = {"type": "string"}
        else:
            target["schema"] = None
            self.pending.append((target, self.schemas.reference(model)))

    def parameters(self, route: ApiRoute, operation: Operation) -> list[dict[str, Any]]:
        declared = {(p.location, p.name): p for p in operation.parameters}
        parameters: list[Parameter] = []
        for name in _PATH_PARAMETER.findall(route.path):
            if ("path", name) not in declared:
                if name not in self.path_types:
                    raise ValueError(f"{route.path}: path parameter {name!r} is not described")
                declared[("path", name)] = Parameter(name, "path", self.path_types[name])
        parameters.extend(p for key, p in declared.items() if key[0] == "path")
        if operation.query is not None:
            for struct_field in msgspec.structs.fields(operation.query):
                parameters.append(
                    Parameter(
                        struct_field.encode_name,
                        "query",
                        struct_field.type,
                        required=struct_field.required,
                    )
                )
        parameters.extend(p for key, p in declared.items() if key[0] != "path")
        documents = []
        for parameter in parameters:
            document: dict[str, Any] = {
                "name": parameter.name,
                "in": parameter.location,
                "required": parameter.location == "path" or parameter.required,
            }
            if parameter.description:
                document["description"] = parameter.description
            self._schema_slot(document, parameter.type)
            documents.append(document)
        return documents

    def answer(self, answer: Answer) -> dict[str, Any]:
        document: dict[str, Any] = {"description": answer.description}
        if answer.content:
            content: dict[str, Any] = {}
            for media_type, model in answer.content:
                content[media_type] = {}
                self._schema_slot(content[media_type], model)
            document["content"] = content
        if answer.headers:
            headers: dict[str, Any] = {}
            for name, model in answer.headers:
                headers[name] = {}
                self._schema_slot(headers[name], model)
            document["headers"] = headers
        return document

    def body(self, body: Body) -> dict[str, Any]:
        content: dict[str, Any] = {}
        for media_type, model in (
            ("application/json", body.json),
            ("application/x-www-form-urlencoded", body.form),
        ):
            if model is not None:
                content[media_type] = {}
                self._schema_slot(content[media_type], model)
        return {"required": body.required, "content": content}

    def operation(self, route: ApiRoute, operation: Operation) -> dict[str, Any]:
        document: dict[str, Any] = {"summary": operation.summary}
        parameters = self.parameters(route, operation)
        if parameters:
            document["parameters"] = parameters
        answers = dict(operation.answers)
        if operation.body is not None:
            document["requestBody"] = self.body(operation.body)
            for status, answer in BODY_LIMIT_ANSWERS.items():
                answers.setdefault(status, answer)
        if operation.security is not None:
            document["security"] = [
                {name: list(scopes) for name, scopes in alternative.items()}
                for alternative in operation.security
            ]
        document["responses"] = {
            str(status): self.answer(answers[status]) for status in sorted(answers)
        }
        return document

    def finish(self) -> dict[str, Any]:
        self.schemas.generate()
        for target, index in self.pending:
            target["schema"] = self.schemas.schema(index)
        return self.schemas.components


def documented_routes(routes: Iterable[BaseRoute]) -> list[ApiRoute]:
    """The routes of a table (mounts of static files aside); raises for an undocumented one."""
    documented: list[ApiRoute] = []
    for route in routes:
        if isinstance(route, Mount):
            continue
        if not isinstance(route, ApiRoute):
            raise TypeError(f"route {getattr(route, 'path', route)!r} declares no operations")
        documented.append(route)
    return documented


def openapi_document(
    title: str,
    routes: Iterable[BaseRoute],
    *,
    path_types: Mapping[str, Any],
    security_schemes: Mapping[str, Any],
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a route table. ``path_types`` gives the type of each path
    parameter name (a route may declare its own instead)."""
    builder = _Builder(path_types)
    paths: dict[str, dict[str, Any]] = {}
    for route in documented_routes(routes):
        operations = paths.setdefault(route.path, {})
        for method, operation in route.operations.items():
            if method == "head":
                continue
            if method in operations:
                raise ValueError(f"{method.upper()} {route.path} is declared twice")
            operations[method] = builder.operation(route, operation)
    components = builder.finish()
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1"},
        "components": {"securitySchemes": dict(security_schemes), "schemas": components},
        "paths": paths,
    }


class Liveness(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct, omit_defaults=True):
    status: Literal["ready", "unavailable"]
    detail: str | None = None


OPENAPI = Operation("This document", {200: json(dict[str, Any], "The OpenAPI 3.1 document")})
HEALTHZ = Operation("Alive (the process answers)", {200: json(Liveness, "Alive")})
METRICS_SECURITY_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "description": "WAITROOM_METRICS_TOKEN (Prometheus)",
}
METRICS = Operation(
    "Prometheus metrics (the metrics bearer token)",
    {
        200: text("Prometheus text format"),
        401: problem("Metrics token missing or not accepted"),
        429: problem("Too many failed tokens from this address"),
    },
    security=({"metrics": ()},),
)
"""``/metrics`` of either app: Prometheus text for the metrics bearer token only
(:mod:`service_kit.metrics_access`); each app names ``METRICS_SECURITY_SCHEME`` as
``metrics``."""


def readiness(store_description: str) -> Operation:
    return Operation(
        "Ready (the store answers)",
        {
            200: json(Readiness, "Ready"),
            503: json(Readiness, f"{store_description} unreachable"),
        },
    )


def openapi_response(document: dict[str, Any]) -> Response:
    """``/openapi.json`` of either app: the document, cacheable for five minutes."""
    return Response(
        orjson.dumps(document),
        media_type="application/json",
        headers={"cache-control": "public, max-age=300"},
    )
