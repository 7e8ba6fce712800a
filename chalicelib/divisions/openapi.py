"""The division API's OpenAPI 3.1 document, generated from the pydantic models the handlers use."""
from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel

from chalicelib import statuses
from chalicelib.divisions import schemas

ITEM = {"name": "item_number", "in": "path", "required": True, "schema": {"type": "string", "pattern": schemas.ITEM_NUMBER}}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200},
               "description": "A retry with the same key returns the first answer and creates nothing new; "
                              "the same key with a different body is 409. Kept 24 hours."}
LIST_PARAMS = [
    {"name": "service", "in": "query", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 80}},
    {"name": "status", "in": "query", "required": False, "schema": {"type": "string", "enum": list(statuses.ALL)}},
    {"name": "updated_since", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 2000}},
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
]
PROBLEMS = {
    "400": "The request is malformed (a query parameter, a cursor, or a body that is not UTF-8 JSON nested at most 8 levels deep)",
    "401": "No key, or an unknown or revoked key",
    "404": "No such submission or thread for this division",
    "409": "A transition that is not allowed (or another change won a race), or an Idempotency-Key conflict",
    "413": "A file over 2 MB, or a body over 8 MB",
    "415": "Not application/json, or a file of a type that is not allowed",
    "422": "The body does not match the schema",
}

# (method, path, summary, request model, success status, response model, extra parameters)
OPERATIONS = [
    ("get", "/submissions", "List the division's submissions, newest change last (cursor pagination)",
     None, 200, schemas.SubmissionList, LIST_PARAMS),
    ("get", "/submissions/{item_number}", "One submission: answers, events, messages, complements, attachment links",
     None, 200, schemas.SubmissionDetail, [ITEM]),
    ("post", "/submissions/{item_number}/status", "Change the processing status (shown to the customer as New)",
     schemas.StatusChange, 200, schemas.StatusChanged, [ITEM, IDEMPOTENCY]),
    ("post", "/submissions/{item_number}/messages", "Message the customer: start or continue a thread",
     schemas.MessageIn, 201, schemas.MessagePosted, [ITEM, IDEMPOTENCY]),
    ("get", "/health-care-inbox", "Health care submissions, which never go to a customer's folder",
     None, 200, schemas.SubmissionList, [p for p in LIST_PARAMS if p["name"] != "service"]),
]


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


@lru_cache(maxsize=1)
def document() -> dict:
    components: dict = {}
    for model in (schemas.SubmissionList, schemas.SubmissionDetail, schemas.StatusChange, schemas.StatusChanged,
                  schemas.MessageIn, schemas.MessagePosted, schemas.Problem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization"
                                         if model not in (schemas.StatusChange, schemas.MessageIn) else "validation")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    paths: dict = {}
    for method, path, summary, request, status, response, parameters in OPERATIONS:
        operation = {
            "summary": summary,
            "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "security": [{"divisionKey": []}],
            "parameters": parameters,
            "responses": {
                str(status): {"description": "OK", "content": {"application/json": {"schema": _ref(response)}}},
                **{code: {"description": text, "content": {"application/problem+json": {"schema": _ref(schemas.Problem)}}}
                   for code, text in PROBLEMS.items()
                   if method == "post" or code in ("400", "401", "404")},
            },
        }
        if request is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(request)}}}
        paths.setdefault(f"/api/v1{path}", {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "City e-services portal: division API",
            "version": "1.0.0",
            "description": "For the City's divisions: read the submissions of your e-services, change their processing "
                           "status and message the customers. Every answer that is not a success is RFC 9457 "
                           "problem+json. A division never sees another division's submissions (404, as if absent).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"divisionKey": {"type": "http", "scheme": "bearer",
                                                "description": "Authorization: Bearer <key id>.<secret> (from ops)"}},
        },
    }
