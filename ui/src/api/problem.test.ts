import { describe, expect, it } from "vitest";

import { ApiError, asProblem, fieldMessages, problem, unclaimed } from "./problem";
import { bearer, newApi, unwrap } from "./client";

// A 422 as huma writes it for create-task.
const invalidTask = {
  $schema: "http://localhost:8080/schemas/ErrorModel.json",
  title: "Unprocessable Entity",
  status: 422,
  detail: "validation failed",
  errors: [
    { message: 'cron: expected 5 or 6 fields, got 4 (try "*/5 * * * *")', location: "body.schedule", value: "* * * *" },
    { message: "is required", location: "body.config.url" },
    { message: "expected value to be one of http, go-hello", location: "body.executor", value: "htp" },
    { message: "must be at most 1000", location: "query.limit", value: 5000 },
    { message: "unexpected property", location: "body" },
    { message: "something without a location" },
  ],
};

describe("problem", () => {
  it("keeps the detail as the top message and sorts errors by field", () => {
    const p = problem(invalidTask, 422);
    expect(p.status).toBe(422);
    expect(p.message).toBe("validation failed");
    expect(p.title).toBe("Unprocessable Entity");
    expect(p.generic).toBeUndefined();
    expect(p.fields).toEqual({
      schedule: ['cron: expected 5 or 6 fields, got 4 (try "*/5 * * * *")'],
      "config.url": ["is required"],
      executor: ["expected value to be one of http, go-hello"],
      limit: ["must be at most 1000"],
    });
    expect(p.other).toEqual(["unexpected property", "something without a location"]);
  });

  it("falls back to the title when there is no detail", () => {
    expect(problem({ title: "Not Found", status: 404 }, 404).message).toBe("Not Found");
  });

  it("collects several messages for one field in order", () => {
    const p = problem(
      {
        detail: "x",
        errors: [
          { location: "body.name", message: "a" },
          { location: "body.name", message: "b" },
        ],
      },
      422,
    );
    expect(p.fields.name).toEqual(["a", "b"]);
  });

  it("shows a plain-text body but never an HTML page", () => {
    expect(problem("404 page not found\n", 404).message).toBe("404 page not found");
    const html = problem("<html><body>Bad Gateway</body></html>", 502);
    expect(html.message).toBe("The server answered 502 (Bad Gateway).");
    expect(html.generic).toBe(true);
  });

  it("names the status of an empty body", () => {
    expect(problem(undefined, 500).message).toBe("The server answered 500 (Internal Server Error).");
    expect(problem(undefined, 418).message).toBe("The server answered 418.");
  });

  it("ignores malformed errors entries", () => {
    const p = problem({ detail: "d", errors: [null, 3, { location: "body.x" }, { message: "m", location: 7 }] }, 422);
    expect(p.fields).toEqual({});
    expect(p.other).toEqual(["m"]);
  });
});

describe("fieldMessages and unclaimed", () => {
  const p = problem(invalidTask, 422);

  it("gives a field its own messages, and a nested field those below it", () => {
    expect(fieldMessages(p, "schedule")).toHaveLength(1);
    expect(fieldMessages(p, "config")).toEqual([]);
    expect(fieldMessages(p, "config", true)).toEqual(["url: is required"]);
    expect(fieldMessages(null, "schedule")).toEqual([]);
  });

  it("returns every message no shown field takes, with its key", () => {
    expect(unclaimed(p, ["schedule", "executor"], ["config"])).toEqual([
      "unexpected property",
      "something without a location",
      "limit: must be at most 1000",
    ]);
  });
});

describe("client", () => {
  it("sends the token as a bearer header and turns a failure into an ApiError", async () => {
    let auth: string | null = null;
    const api = newApi(
      () => "kro_secret",
      async (req) => {
        auth = req.headers.get("Authorization");
        return new Response(JSON.stringify(invalidTask), {
          status: 422,
          headers: { "Content-Type": "application/problem+json" },
        });
      },
    );
    const err = await unwrap(api.GET("/api/v1/tasks", { params: { query: { limit: 5000 } } })).catch((e: unknown) => e);
    expect(auth).toBe("Bearer kro_secret");
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect(asProblem(err).fields.limit).toEqual(["must be at most 1000"]);
  });

  it("sends no Authorization header without a token and keeps an explicit one", async () => {
    const mw = bearer(() => "");
    const plain = new Request("http://x/api/v1/whoami");
    const out = (await mw.onRequest!({ request: plain } as never)) as Request;
    expect(out.headers.has("Authorization")).toBe(false);
    const explicit = new Request("http://x/", { headers: { Authorization: "Bearer other" } });
    const kept = (await bearer(() => "kro_mine").onRequest!({ request: explicit } as never)) as Request;
    expect(kept.headers.get("Authorization")).toBe("Bearer other");
  });

  it("reports a request that got no answer as status 0", () => {
    const p = asProblem(new TypeError("Failed to fetch"));
    expect(p.status).toBe(0);
    expect(p.generic).toBe(true);
  });
});
