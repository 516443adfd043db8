// A form from an executor plugin's JSON Schema (get-plugin's config_schema),
// for the shapes config schemas use: an object whose properties are
// strings, numbers, integers, booleans, enums, objects of those (one level),
// string maps (headers) and arrays of scalars. A property of another shape
// is edited as JSON in its own box; a schema that is not an object of
// properties at all is edited as raw JSON (ConfigEditor's fallback).
//
// The form edits the config object itself: an empty input removes its key,
// so the plugin's default applies (shown as the placeholder).

export type Scalar = "string" | "number" | "integer" | "boolean";
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = Record<string, unknown>;

interface Common {
  key: string;
  /** Path from the config's root: ["url"], ["auth", "user"]. */
  path: string[];
  title: string;
  description?: string;
  required: boolean;
  default?: unknown;
  examples?: unknown[];
}

export type FieldSpec =
  | (Common & { kind: "string"; multiline: boolean; format?: string; maxLength?: number; pattern?: string })
  | (Common & { kind: "number"; integer: boolean; minimum?: number; maximum?: number })
  | (Common & { kind: "boolean" })
  | (Common & { kind: "enum"; options: (string | number | boolean)[] })
  | (Common & { kind: "list"; itemTypes: Scalar[]; itemEnum?: (string | number)[] })
  | (Common & { kind: "map" })
  | (Common & { kind: "object"; fields: FieldSpec[] })
  | (Common & { kind: "json" });

export interface FormSpec {
  title?: string;
  description?: string;
  fields: FieldSpec[];
  /** Whether keys beyond the properties are allowed (additionalProperties not false). */
  open: boolean;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const combinators = ["$ref", "oneOf", "anyOf", "allOf", "if", "not", "dependentSchemas", "patternProperties"];

/** typeOf returns a schema's single type, ignoring "null" in a type list. */
function typeOf(s: Obj): string | undefined {
  const t = s.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const rest = t.filter((x) => x !== "null");
    if (rest.length === 1 && typeof rest[0] === "string") return rest[0];
  }
  if (t === undefined && isObj(s.properties)) return "object";
  return undefined;
}

function isScalarValue(v: unknown): v is string | number | boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

/** scalarTypes returns the scalar types an item schema allows (anyOf/oneOf of scalars too); null when not only scalars. */
function scalarTypes(s: unknown): Scalar[] | null {
  if (!isObj(s)) return null;
  const alts = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null;
  if (alts) {
    const out = new Set<Scalar>();
    for (const a of alts) {
      const ts = scalarTypes(a);
      if (!ts) return null;
      ts.forEach((x) => out.add(x));
    }
    return out.size ? [...out] : null;
  }
  if (Array.isArray(s.enum)) {
    const out = new Set<Scalar>();
    for (const v of s.enum) {
      if (typeof v === "string") out.add("string");
      else if (typeof v === "number") out.add(Number.isInteger(v) ? "integer" : "number");
      else return null;
    }
    return [...out];
  }
  const t = s.type;
  const list = typeof t === "string" ? [t] : Array.isArray(t) ? t.filter((x) => x !== "null") : [];
  if (!list.length) return null;
  for (const x of list) if (x !== "string" && x !== "number" && x !== "integer" && x !== "boolean") return null;
  return list as Scalar[];
}

function field(key: string, path: string[], s: unknown, required: boolean, depth: number): FieldSpec {
  const base: Common = { key, path, title: key, required };
  if (!isObj(s)) return { ...base, kind: "json" };
  if (typeof s.title === "string" && s.title) base.title = s.title;
  if (typeof s.description === "string" && s.description) base.description = s.description;
  if ("default" in s) base.default = s.default;
  if (Array.isArray(s.examples)) base.examples = s.examples;
  if (combinators.some((c) => c in s)) return { ...base, kind: "json" };

  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every(isScalarValue)) {
    return { ...base, kind: "enum", options: s.enum as (string | number | boolean)[] };
  }
  if ("const" in s && isScalarValue(s.const)) return { ...base, kind: "enum", options: [s.const] };

  switch (typeOf(s)) {
    case "string": {
      const format = typeof s.format === "string" ? s.format : undefined;
      const maxLength = typeof s.maxLength === "number" ? s.maxLength : undefined;
      const pattern = typeof s.pattern === "string" ? s.pattern : undefined;
      const multiline =
        s.contentMediaType !== undefined ||
        (!format && !pattern && (maxLength === undefined || maxLength > 256) && /body|script|template|payload|query|command|message|text/i.test(key));
      return {
        ...base,
        kind: "string",
        multiline,
        ...(format ? { format } : {}),
        ...(maxLength !== undefined ? { maxLength } : {}),
        ...(pattern ? { pattern } : {}),
      };
    }
    case "integer":
    case "number":
      return {
        ...base,
        kind: "number",
        integer: typeOf(s) === "integer",
        ...(typeof s.minimum === "number" ? { minimum: s.minimum } : {}),
        ...(typeof s.maximum === "number" ? { maximum: s.maximum } : {}),
      };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "array": {
      const items = scalarTypes(s.items);
      if (!items || items.includes("boolean")) return { ...base, kind: "json" };
      const itemEnum =
        isObj(s.items) && Array.isArray(s.items.enum) && s.items.enum.every((v) => typeof v === "string" || typeof v === "number")
          ? (s.items.enum as (string | number)[])
          : undefined;
      return { ...base, kind: "list", itemTypes: items, ...(itemEnum ? { itemEnum } : {}) };
    }
    case "object": {
      const props = isObj(s.properties) ? s.properties : null;
      if (!props || Object.keys(props).length === 0) {
        const ap = s.additionalProperties;
        if (isObj(ap) && scalarTypes(ap)?.length === 1 && scalarTypes(ap)![0] === "string") return { ...base, kind: "map" };
        return { ...base, kind: "json" };
      }
      if (depth >= 1) return { ...base, kind: "json" };
      const req = Array.isArray(s.required) ? (s.required as unknown[]) : [];
      return {
        ...base,
        kind: "object",
        fields: Object.entries(props).map(([k, v]) => field(k, [...path, k], v, req.includes(k), depth + 1)),
      };
    }
  }
  return { ...base, kind: "json" };
}

/**
 * formSpec returns the form for a config schema, or null when the schema is
 * not an object of properties (then only the JSON editor applies).
 */
export function formSpec(schema: unknown): FormSpec | null {
  if (!isObj(schema)) return null;
  if (combinators.some((c) => c in schema)) return null;
  if (typeOf(schema) !== "object" || !isObj(schema.properties)) return null;
  const props = schema.properties;
  if (Object.keys(props).length === 0) return null;
  const req = Array.isArray(schema.required) ? (schema.required as unknown[]) : [];
  const spec: FormSpec = {
    fields: Object.entries(props).map(([k, v]) => field(k, [k], v, req.includes(k), 0)),
    open: schema.additionalProperties !== false,
  };
  if (typeof schema.title === "string") spec.title = schema.title;
  if (typeof schema.description === "string") spec.description = schema.description;
  return spec;
}

/** getPath reads a value at a path of a config; undefined when absent. */
export function getPath(config: unknown, path: string[]): unknown {
  let v: unknown = config;
  for (const k of path) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
}

/**
 * setPath returns a copy of config with the value at path set, or removed
 * when value is undefined (an object left empty by a removal goes too).
 */
export function setPath(config: Obj, path: string[], value: unknown): Obj {
  const [k, ...rest] = path;
  if (k === undefined) return config;
  const out: Obj = { ...config };
  if (rest.length === 0) {
    if (value === undefined) delete out[k];
    else out[k] = value;
    return out;
  }
  const inner = setPath(isObj(out[k]) ? (out[k] as Obj) : {}, rest, value);
  if (Object.keys(inner).length === 0) delete out[k];
  else out[k] = inner;
  return out;
}

/** fieldId is the DOM id of a config field: config-url, config-auth-user. */
export function fieldId(path: string[]): string {
  return ["config", ...path].join("-").replace(/[^A-Za-z0-9_-]/g, "_");
}

/** fieldKeyOf is the problem key of a config field: config.url, config.auth.user. */
export function fieldKeyOf(path: string[]): string {
  return ["config", ...path].join(".");
}

/**
 * missingRequired returns the paths of required fields the config leaves
 * out: top-level ones, and those of a nested object that is required or
 * present.
 */
export function missingRequired(spec: FormSpec, config: Obj): string[][] {
  const out: string[][] = [];
  const walk = (fields: FieldSpec[], value: unknown, must: boolean) => {
    for (const f of fields) {
      const v = isObj(value) ? value[f.key] : undefined;
      const empty = v === undefined || v === null || v === "";
      if (f.kind === "object") {
        if (!empty || (f.required && must)) walk(f.fields, v, true);
        if (empty && f.required && must && f.fields.every((x) => !x.required)) out.push(f.path);
      } else if (empty && f.required && must) {
        out.push(f.path);
      }
    }
  };
  walk(spec.fields, config, true);
  return out;
}

/** coerceItem turns a list item as typed into the value the item schema takes; null when none fits. */
export function coerceItem(text: string, types: Scalar[]): string | number | null {
  const s = text.trim();
  if (s === "") return null;
  if (types.includes("integer") && /^-?\d+$/.test(s)) return Number(s);
  if (types.includes("number") && s !== "" && Number.isFinite(Number(s))) return Number(s);
  if (types.includes("string")) return s;
  return null;
}

/** unknownKeys lists the config's top-level keys that no field of the form edits. */
export function unknownKeys(spec: FormSpec, config: Obj): string[] {
  const known = new Set(spec.fields.map((f) => f.key));
  return Object.keys(config).filter((k) => !known.has(k));
}

/** display writes a default or example for a placeholder or hint. */
export function display(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) return v.join(", ");
  return JSON.stringify(v);
}
