package main

import (
	"encoding/json"

	"github.com/shiyu-coder/kronos/sdk"
)

// version is the plugin's version, reported by describe.
const version = "1.0.0"

// configSchema is the JSON Schema of the config. Its defaults and bounds
// are the constants of config.go (TestSchemaDefaults checks them).
const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "HTTP request",
  "description": "One HTTP request per execution. The execution fails when the response status is not expected or no response arrives.",
  "type": "object",
  "required": ["url"],
  "additionalProperties": false,
  "properties": {
    "method": {
      "description": "The HTTP method, in upper case.",
      "type": "string",
      "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      "default": "GET"
    },
    "url": {
      "description": "The absolute http or https URL to call. The namespace's network policy decides which hosts are reachable.",
      "type": "string",
      "format": "uri",
      "pattern": "^[hH][tT][tT][pP][sS]?://[^/?#\\s]+",
      "maxLength": 8192,
      "examples": ["https://backup.example.com/v1/backup"]
    },
    "headers": {
      "description": "Request headers, one value each. Reference secrets here rather than in the URL.",
      "type": "object",
      "propertyNames": {"pattern": "^[!#$%&'*+.^_|~0-9A-Za-z` + "`" + `-]+$"},
      "additionalProperties": {"type": "string", "pattern": "^[^\\r\\n\\x00]*$"},
      "default": {},
      "examples": [{"Authorization": "Bearer …", "Content-Type": "application/json"}]
    },
    "body": {
      "description": "The request body, as text.",
      "type": "string",
      "default": ""
    },
    "timeout": {
      "description": "How long to wait for the response, redirects included, as a Go duration (500ms, 30s, 2m). At most 5m.",
      "type": "string",
      "pattern": "^([0-9]+(\\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$",
      "default": "30s"
    },
    "expected_status": {
      "description": "The statuses that make the execution succeed: codes (204), classes (\"2xx\") or ranges (\"200-299\").",
      "type": "array",
      "minItems": 1,
      "items": {
        "anyOf": [
          {"type": "integer", "minimum": 100, "maximum": 599},
          {"type": "string", "pattern": "^([1-5][xX][xX]|[1-5][0-9]{2}(-[1-5][0-9]{2})?)$"}
        ]
      },
      "default": ["2xx"],
      "examples": [[200, 201], ["2xx", 304]]
    },
    "capture_response": {
      "description": "Record the response headers and body in the execution's result.",
      "type": "boolean",
      "default": true
    },
    "max_response_bytes": {
      "description": "Record at most this many bytes of the response body (the rest is cut and the result says truncated). At most 1 MiB.",
      "type": "integer",
      "minimum": 1,
      "maximum": 1048576,
      "default": 65536
    },
    "idempotency_header": {
      "description": "A header set to the execution id on every attempt, so that the receiver can drop a repeated delivery; unless the headers set it already. \"\" sends none.",
      "type": "string",
      "pattern": "^[!#$%&'*+.^_|~0-9A-Za-z` + "`" + `-]*$",
      "default": "Idempotency-Key"
    }
  }
}`

// description is what describe returns.
var description = sdk.Description{
	Name:    "http",
	Version: version,
	Description: "Sends one HTTP request per execution and succeeds when the response status is expected (2xx by default). " +
		"Each request carries the execution id in an Idempotency-Key header, so a retried or repeated delivery can be recognised.",
	ConfigSchema: json.RawMessage(configSchema),
}
