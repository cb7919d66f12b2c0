"""openapi-core, tuned to check Mattermost requests in about a millisecond.

Out of the box openapi-core 0.23 spends most of a request walking the spec: it tries all
~340 path templates, rebuilds a JSON-schema validator (deep-copying its format checker) for
every value, and validates the default of every absent query parameter. Here the path is
found through a :class:`PathIndex`, schema validators are built once per schema, and absent
optional parameters are skipped (their defaults come from the spec, so they cannot be wrong).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.datatypes import Parameters, RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.datatypes import TemplateResult
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.paths.finders import BasePathFinder
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParametersError,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from openapi_schema_validator import OAS30WriteValidator

from .openapi_spec import PathIndex, load_patched_spec


@dataclass
class ApiRequest:
    """A request in the shape openapi-core validates (its ``Request`` protocol)."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters
    host_url: str = ""


@dataclass(frozen=True)
class SpecProblem:
    """One way a request breaks the spec, and the HTTP status Mattermost would answer."""

    text: str
    status: int = 400
    error_id: str = "api.context.invalid_body_param.app_error"


class IndexedPathFinder(BasePathFinder):
    """openapi-core's path finder, answering from a :class:`PathIndex` instead of a linear scan."""

    def __init__(self, spec: SchemaPath, base_url: str | None = None) -> None:
        super().__init__(spec, base_url)
        self.paths = spec / "paths"
        self.index = PathIndex(self.paths.str_keys())
        self.server = (spec / "servers" / 0) if "servers" in spec else SchemaPath.from_dict({"url": "/"})
        self._operations: dict[tuple[str, str], tuple[SchemaPath, SchemaPath] | None] = {}

    def _operation(self, template: str, method: str) -> tuple[SchemaPath, SchemaPath] | None:
        key = (template, method)
        if key not in self._operations:
            path = self.paths / template
            self._operations[key] = (path, path / method) if method in path else None
        return self._operations[key]

    def find(self, method: str, name: str) -> PathOperationServer:
        """The path, operation and server of ``method name`` (a URL), most specific template first."""
        matches = self.index.matches(urlsplit(name).path)
        if not matches:
            raise PathNotFound(name)
        for template, variables in matches:
            found = self._operation(template, method)
            if found is not None:
                path_result = TemplateResult(template, variables)
                return PathOperationServer(
                    found[0], found[1], self.server, path_result, TemplateResult("/", {})
                )
        raise OperationNotFound(name, method)


class CachedSchemaValidators(SchemaValidatorsFactory):
    """Builds each schema's validator once; the shared format checker is never modified."""

    def __init__(self) -> None:
        super().__init__(OAS30WriteValidator)
        self._built: dict[tuple[SchemaPath, bool, bool], SchemaValidator] = {}

    def create(
        self,
        spec: SchemaPath,
        schema: SchemaPath,
        format_validators: Any = None,
        extra_format_validators: Any = None,
        forbid_unspecified_additional_properties: bool = False,
        enforce_properties_required: bool = False,
    ) -> SchemaValidator:
        """The validator of ``schema`` (extra format validators are not used here)."""
        key = (schema, forbid_unspecified_additional_properties, enforce_properties_required)
        validator = self._built.get(key)
        if validator is None:
            validator = super().create(
                spec,
                schema,
                format_validators,
                extra_format_validators,
                forbid_unspecified_additional_properties,
                enforce_properties_required,
            )
            self._built[key] = validator
        return validator

    def get_format_checker(self, format_validators: Any = None, extra_format_validators: Any = None) -> Any:
        """The OpenAPI 3.0 format checker, shared rather than deep-copied per value."""
        if format_validators is None and extra_format_validators is None:
            return self.format_checker
        return super().get_format_checker(format_validators, extra_format_validators)


@dataclass(frozen=True)
class _ParameterSpec:
    name: str
    location: str
    required: bool
    spec: SchemaPath


class MattermostRequestValidator(V30RequestValidator):
    """OpenAPI 3.0 request validation that checks only the parameters a request carries."""

    _parameter_specs: dict[tuple[SchemaPath, SchemaPath], tuple[_ParameterSpec, ...]]

    def _specs_of(self, operation: SchemaPath, path: SchemaPath) -> tuple[_ParameterSpec, ...]:
        cache = self.__dict__.setdefault("_parameter_specs", {})
        key = (operation, path)
        if key not in cache:
            specs: dict[tuple[str, str], _ParameterSpec] = {}
            # Operation-level parameters override path-level ones of the same name and place.
            for source in (operation, path):
                for param in source.get("parameters", []):
                    name, location = (param / "name").read_str(), (param / "in").read_str()
                    required = (param / "required").read_bool(default=False)
                    specs.setdefault((name, location), _ParameterSpec(name, location, required, param))
            cache[key] = tuple(specs.values())
        specs_of_operation: tuple[_ParameterSpec, ...] = cache[key]
        return specs_of_operation

    def _get_parameters(
        self, parameters: RequestParameters, operation: SchemaPath, path: SchemaPath
    ) -> Parameters:
        errors: list[OpenAPIError] = []
        for spec in self._specs_of(operation, path):
            if spec.name not in parameters[spec.location]:
                if spec.required:
                    errors.append(MissingRequiredParameter(spec.name, spec.location))
                continue
            try:
                self._get_parameter(parameters, spec.spec)
            except ParameterValidationError as error:
                errors.append(error)
        if errors:
            raise ParametersError(errors=errors, parameters=Parameters())
        return Parameters()


@functools.lru_cache(maxsize=4)
def request_validator(spec_path: str, mtime_ns: int, size: int) -> MattermostRequestValidator:
    """The request validator of a spec file, built once per process and file version."""
    spec = load_patched_spec(Path(spec_path))
    config = Config(
        # The spec holds duplicate operation ids and unresolved path parameters: do not check it.
        spec_validator_cls=None,
        path_finder_cls=IndexedPathFinder,
        request_validator_cls=MattermostRequestValidator,
        schema_validators_factory=CachedSchemaValidators(),
    )
    return cast(MattermostRequestValidator, OpenAPI.from_dict(spec, config=config).request_validator)


def spec_problems(validator: MattermostRequestValidator, request: ApiRequest) -> Iterator[SpecProblem]:
    """Every way ``request`` breaks the spec, in words."""
    for error in validator.iter_errors(request):
        yield from _describe(error)


_URL_PARAM = "api.context.invalid_url_param.app_error"


def _describe(error: Exception) -> Iterator[SpecProblem]:
    cause = error.__cause__
    if isinstance(error, SecurityValidationError):
        yield SpecProblem(
            "needs an 'Authorization: Bearer <token>' header", 401, "api.context.session_expired.app_error"
        )
    elif isinstance(error, OperationNotFound):
        yield SpecProblem(
            "the Mattermost API has no such method on this path", 405, "api.context.405.app_error"
        )
    elif isinstance(error, PathNotFound):
        yield SpecProblem("no such endpoint in the Mattermost API", 404, "api.context.404.app_error")
    elif isinstance(error, MissingRequiredRequestBody):
        yield SpecProblem("a JSON request body is required")
    elif isinstance(error, MissingRequiredParameter):
        yield SpecProblem(f"{error.location} parameter {error.name!r} is required", 400, _URL_PARAM)
    elif isinstance(error, ParameterValidationError):
        yield SpecProblem(f"{error.location} parameter {error.name!r}: {_cause_text(cause)}", 400, _URL_PARAM)
    elif isinstance(error, RequestBodyValidationError) and isinstance(cause, InvalidSchemaValue):
        for schema_error in cause.schema_errors:
            where = _json_path(getattr(schema_error, "absolute_path", ()))
            yield SpecProblem(f"body{where}: {getattr(schema_error, 'message', schema_error)}")
    elif isinstance(error, RequestBodyValidationError) and isinstance(cause, MediaTypeNotFound):
        expected = ", ".join(cause.availableMimetypes)
        yield SpecProblem(f"content type {cause.mimetype!r} is not accepted here (send {expected})")
    elif isinstance(error, RequestBodyValidationError):
        yield SpecProblem(f"body: {_cause_text(cause)}")
    else:
        yield SpecProblem(str(error))


def _cause_text(cause: BaseException | None) -> str:
    if isinstance(cause, InvalidSchemaValue):
        return "; ".join(str(getattr(error, "message", error)) for error in cause.schema_errors)
    name = type(cause).__name__
    if name == "MediaTypeDeserializeError":
        return "not valid JSON"
    if name == "CastError":
        return f"{getattr(cause, 'value', '')!r} is not a valid {getattr(cause, 'type', 'value')}"
    return str(cause) if cause is not None else "invalid"


def _json_path(parts: Iterable[Any]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
