package main

import (
	"encoding/json"

	"github.com/shiyu-coder/kronos/sdk"
)

// version is the plugin's version, reported by describe.
const version = "1.0.0"

// configSchema is the JSON Schema of the config. maxLength is
// maxScriptBytes (TestSchemaAgrees checks it).
const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "JavaScript",
  "description": "A JavaScript (ES2015+, async/await) script run in the Wasm sandbox. The script is the body of an async function: what it returns is the result, as JSON; what it throws fails the execution.",
  "type": "object",
  "required": ["script"],
  "additionalProperties": false,
  "properties": {
    "script": {
      "description": "The script: the body of an async function. Its globals are console (log lines), fetch (through the namespace's network policy), kv (get, set, delete with string values), config (the args), secrets and execution (id, attempt, scheduled_at, trigger, namespace, task, labels). return gives the result; a throw fails the execution.",
      "type": "string",
      "minLength": 1,
      "maxLength": 262144,
      "examples": ["const r = await fetch(config.url, {headers: {Authorization: 'Bearer ' + secrets.token}});\nif (!r.ok) throw new Error('HTTP ' + r.status);\nconst body = await r.json();\nconsole.log('jobs', body.jobs.length);\nreturn {jobs: body.jobs.length};"]
    },
    "args": {
      "description": "Any JSON object, given to the script as config.",
      "type": "object",
      "default": {},
      "examples": [{"url": "https://backup.example.com/v1/jobs"}]
    },
    "secrets": {
      "description": "Values given to the script as secrets: write {{ secret \"name\" }} to use a secret of the namespace; its value is resolved for the execution only and redacted from logs and results.",
      "type": "object",
      "additionalProperties": {"type": "string"},
      "default": {},
      "examples": [{"token": "{{ secret \"backup-token\" }}"}]
    }
  }
}`

// description is what describe returns.
var description = sdk.Description{
	Name:    "script",
	Version: version,
	Description: "Runs a JavaScript script in the Wasm sandbox, in a fresh context per execution, with console, fetch (through the namespace's network policy), kv, config, secrets and the execution's details. " +
		"What the script returns is the result; a thrown error fails the execution with its message and stack.",
	ConfigSchema: json.RawMessage(configSchema),
}
