"""The OpenAPI 3.1 description of the open-data API, built from the same parameter
declarations the API validates with (``open_data.PARAMETERS``). ``tests/test_api.py`` checks
that it lists exactly the routes ``portal.api`` serves and that a maintained validator accepts it."""

from __future__ import annotations

from portal import embed, open_data
from portal.figures import FIGURES
from portal.i18n import t
from portal.vocab import DIMENSIONS, VOCAB_DIMENSIONS, vocabulary

VERSION = "1.0.0"
PREFIX = "/api/v1"


def _parameter(name: str) -> dict:
    declared = open_data.BY_NAME[name]
    schema: dict = {"type": "string", "maxLength": open_data.VALUE_MAX}
    if name == "lang":
        schema["enum"] = ["zh", "en"]
    elif name == "ptype":
        schema["enum"] = ["year", "quarter", "month"]
    elif name == "chart":
        schema["enum"] = ["line", "grouped"]
    elif name in VOCAB_DIMENSIONS:
        schema["enum"] = list(vocabulary(name).codes)
    elif name == "figure":
        schema["pattern"] = "^(" + "|".join(f.key for f in FIGURES) + ")(,(" + "|".join(f.key for f in FIGURES) + "))*$"
    document = {
        "name": name,
        "in": "query",
        "required": False,
        "description": declared.description_en,
        "schema": schema,
    }
    if declared.example:
        document["example"] = declared.example
    return document


def _error() -> dict:
    return {
        "description": "A refused request: the parameter named and why.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, media: dict[str, dict]) -> dict:
    return {
        "200": {
            "description": description,
            "headers": {
                "ETag": {"schema": {"type": "string"}, "description": "Send back in If-None-Match to get 304."},
                "X-Portal-Release": {"schema": {"type": "string"}, "description": "The release answered from."},
            },
            "content": {kind: {"schema": schema} for kind, schema in media.items()},
        },
        "304": {"description": "Not modified: the If-None-Match ETag is still current."},
        "400": _error(),
        "404": _error(),
    }


def _get(summary: str, parameters: list[str], responses: dict, operation: str) -> dict:
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "parameters": [_parameter(p) for p in parameters],
            "responses": responses,
        }
    }


def document(base: str) -> dict:
    """The whole description; ``base`` is the portal's public address."""
    figure_query = list(open_data.FIGURE_QUERY)
    cells = {"$ref": "#/components/schemas/Figures"}
    csv = {"type": "string", "description": "UTF-8 with BOM; one row per cell, names in zh and en."}
    embed_query = embed.PARAMS

    embed_path = _get(
        "A chart of one or more figures for another site's page (an iframe).",
        embed_query,
        _ok("An HTML page with the chart, its title, unit and source.", {"text/html": {"type": "string"}}),
        "embed",
    )
    embed_path["get"]["parameters"].insert(
        0,
        {
            "name": "figures",
            "in": "path",
            "required": True,
            "description": "Figure keys, comma-separated (a trend may draw several).",
            "schema": {"type": "string"},
        },
    )
    script = _ok("A script the embed page loads.", {"text/javascript": {"type": "string"}})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": t("app.title", "en") + " — open data",
            "version": VERSION,
            "description": t("open_data.intro", "en"),
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": base}],
        "paths": {
            f"{PREFIX}/releases": _get(
                "Every release, newest first, and which one is current.",
                ["lang"],
                _ok("The releases.", {"application/json": {"$ref": "#/components/schemas/Releases"}}),
                "releases",
            ),
            f"{PREFIX}/figures": _get(
                "Published cells as JSON.", figure_query, _ok("The cells.", {"application/json": cells}), "figures"
            ),
            f"{PREFIX}/figures.json": _get(
                "Published cells as JSON (the same as /figures).",
                figure_query,
                _ok("The cells.", {"application/json": cells}),
                "figures_json",
            ),
            f"{PREFIX}/figures.csv": _get(
                "Published cells as CSV.", figure_query, _ok("The cells.", {"text/csv": csv}), "figures_csv"
            ),
            f"{PREFIX}/glossary": _get(
                "Every figure's meaning and every vocabulary's codes and names.",
                ["release", "lang"],
                _ok("The glossary.", {"application/json": {"type": "object"}}),
                "glossary",
            ),
            f"{PREFIX}/datapackage.json": _get(
                "The release's CSV described as a Frictionless Data package.",
                ["release", "lang"],
                _ok("The data package.", {"application/json": {"type": "object"}}),
                "datapackage",
            ),
            f"{PREFIX}/openapi.json": _get(
                "This description.", ["lang"], _ok("OpenAPI 3.1.", {"application/json": {"type": "object"}}), "openapi"
            ),
            "/embed/{figures}": embed_path,
            "/embed/vega.js": _get("Vega, Vega-Lite and Vega-Embed, bundled.", [], script, "vega_js"),
            "/embed/embed.js": _get("The embed page's drawing script.", [], script, "embed_js"),
        },
        "components": {"schemas": _schemas()},
    }


def _schemas() -> dict:
    nullable = {"type": ["string", "null"]}
    cell = {
        "type": "object",
        "properties": {
            "figure": {"type": "string", "enum": [f.key for f in FIGURES]},
            "programme": {"type": "string"},
            "period": {"type": "string"},
            **{d: nullable for d in DIMENSIONS},
            "value": {"type": ["number", "null"], "description": "Empty (null) when withheld."},
            "unit": {"type": "string"},
            "status": {"type": "string", "enum": ["published", "withheld"]},
            "reason": nullable,
        },
        "required": ["figure", "programme", "period", "value", "unit", "status"],
    }
    release = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "as_of": {"type": "string", "format": "date"},
            "published_at": {"type": "string", "format": "date-time"},
            "k": {"type": "integer"},
            "note": nullable,
            "is_sample": {"type": "boolean"},
            "current": {"type": "boolean"},
        },
        "required": ["id", "as_of", "published_at", "k"],
    }
    return {
        "Cell": cell,
        "Release": release,
        "Releases": {
            "type": "object",
            "properties": {
                "current": nullable,
                "releases": {"type": "array", "items": {"$ref": "#/components/schemas/Release"}},
            },
        },
        "Figures": {
            "type": "object",
            "properties": {
                "release": {"type": "string"},
                "as_of": {"type": "string", "format": "date"},
                "k": {"type": "integer"},
                "cells": {"type": "array", "items": {"$ref": "#/components/schemas/Cell"}},
            },
            "required": ["release", "as_of", "k", "cells"],
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "parameter": {"type": "string"},
                        "reason": {"type": "string"},
                        "message": {"type": "string"},
                    },
                    "required": ["reason", "message"],
                }
            },
            "required": ["error"],
        },
    }
