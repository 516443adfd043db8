import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { admin, adminServer, viewer } from "../components/admin/testkit";
import { brokerOf, inputOf, emptyForm } from "../components/mq/model";
import { fakeApi, type Call } from "../test/fakeApi";

const editor = { kind: "token", id: "t2", name: "ci-edit", namespace: "default", roles: { default: "editor" } };

const events = {
  namespace: "default",
  name: "events",
  description: "Order events",
  url: "redis://cache.internal:6379/0",
  broker: "redis",
  username: "publisher",
  password_secret: "redis-pass",
  max_len: 100000,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z",
};
const bus = {
  namespace: "default",
  name: "bus",
  url: "nats://nats.internal:4222",
  broker: "nats",
  jetstream: true,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

type Reply = { status: number; body?: unknown } | undefined;

/** node answers as a Kronos node holding events and bus, with the secrets given; extra answers first. */
function node(secrets: string[], extra: (c: Call) => Reply = () => undefined) {
  return adminServer({ kro_admin: admin, kro_view: viewer, kro_edit: editor }, (c) => {
    const r = extra(c);
    if (r) return r;
    if (c.method === "GET" && c.path === "/api/v1/mq-connections") return { status: 200, body: { connections: [bus, events] } };
    if (c.method === "GET" && c.path === "/api/v1/secrets") {
      if (!c.auth?.endsWith("kro_admin")) return { status: 403, body: { title: "Forbidden", status: 403, detail: "needs the admin role" } };
      return {
        status: 200,
        body: {
          secrets: secrets.map((name) => ({ namespace: "default", name, key_id: "k1", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" })),
        },
      };
    }
    return undefined;
  });
}

function start(token: string, server: ReturnType<typeof node>) {
  sessionStorage.setItem("kronos.token", token);
  window.history.replaceState(null, "", "/mq-connections");
  const fake = fakeApi(server);
  render(<App api={fake.api} />);
  return fake;
}

/** errorOf returns the text of a control's error list (aria-describedby …-error). */
const errorOf = (el: HTMLElement) => {
  const id = (el.getAttribute("aria-describedby") ?? "").split(" ").find((x) => x.endsWith("-error"));
  return id ? document.getElementById(id)?.textContent : undefined;
};

describe("the MQ connections page", () => {
  it("lists the connections to a viewer, with no new, edit, test or delete control", async () => {
    const { calls } = start("kro_view", node([]));
    const table = await screen.findByRole("table", { name: "MQ connections of namespace default" });
    const row = within(table).getByText("events", { selector: ".task-name" }).closest("tr")!;
    expect(within(row).getByText("Redis").className).toContain("mq-broker-redis");
    expect(within(row).getByText("redis://cache.internal:6379/0")).toBeTruthy();
    expect(within(row).getByText("publisher")).toBeTruthy();
    expect(within(row).getByText("redis-pass")).toBeTruthy();
    expect(within(row).getByText("Order events")).toBeTruthy();
    const other = within(table).getByText("bus", { selector: ".task-name" }).closest("tr")!;
    expect(within(other).getByText("NATS")).toBeTruthy();
    expect(within(other).getAllByText("—")).toHaveLength(2);

    expect(screen.getByText("Your role in namespace default reads connections; editors and admins change and test them.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "New connection" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^(Test|Edit|Delete)\b/ })).toBeNull();
    // The page is in the admin group for viewers too; the secrets are not.
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "MQ connections" }).getAttribute("href")).toBe("/mq-connections");
    expect(calls.some((c) => c.path === "/api/v1/secrets")).toBe(false);
  });

  it("speaks Chinese", async () => {
    localStorage.setItem("kronos.lang", "zh");
    start("kro_admin", node([]));
    expect(await screen.findByRole("heading", { level: 1, name: "消息队列连接" })).toBeTruthy();
    const table = await screen.findByRole("table", { name: "命名空间 default 的消息队列连接" });
    expect(within(table).getByRole("columnheader", { name: "密码密钥" })).toBeTruthy();
    expect(within(table).getByRole("button", { name: "测试 events" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "新建连接" }));
    const dialog = await screen.findByRole("dialog", { name: "新建连接" });
    fireEvent.change(within(dialog).getByLabelText("URL"), { target: { value: "amqp://rabbit:5672/" } });
    expect(within(dialog).getByRole("group", { name: "RabbitMQ 选项" })).toBeTruthy();
    expect(within(dialog).getByLabelText("交换机")).toBeTruthy();
  });

  it("creates a connection, showing the server's 422 next to its fields", async () => {
    const puts: Call[] = [];
    const { calls } = start(
      "kro_admin",
      node(["redis-pass", "nats-pass"], (c) => {
        if (c.method !== "PUT") return undefined;
        puts.push(c);
        if (puts.length === 1)
          return {
            status: 422,
            body: {
              title: "Unprocessable Entity",
              status: 422,
              detail: 'mq connection "orders" is invalid',
              errors: [
                { location: "body.url", message: "carries a password: store it as a secret of the namespace and name it in password_secret" },
                { location: "body.timeout", message: "is 2m0s; use 0 (the default, 5s) up to 1m0s" },
              ],
            },
          };
        return { status: 200, body: { ...events, ...(c.body as object), name: "orders", broker: "redis" } };
      }),
    );
    await screen.findByRole("table");
    fireEvent.click(screen.getByRole("button", { name: "New connection" }));
    const dialog = await screen.findByRole("dialog", { name: "New connection" });
    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: "orders" } });
    const url = within(dialog).getByLabelText("URL");
    fireEvent.change(url, { target: { value: "redis://:hunter2@cache.internal:6379" } });
    expect(within(dialog).getByText("Broker: Redis")).toBeTruthy();
    // The password is chosen among the namespace's secrets.
    const secret = (await within(dialog).findByRole("combobox", { name: "Password secret" })) as HTMLSelectElement;
    expect([...secret.options].map((o) => o.value)).toEqual(["", "redis-pass", "nats-pass"]);
    fireEvent.change(secret, { target: { value: "redis-pass" } });
    const timeout = within(dialog).getByLabelText("Timeout");
    fireEvent.change(timeout, { target: { value: "2m" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create connection" }));

    expect(await within(dialog).findByRole("alert")).toBeTruthy();
    await waitFor(() => expect(errorOf(url)).toContain("carries a password"));
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(errorOf(timeout)).toContain("is 2m0s");
    // Shown at their fields, so not repeated in the banner.
    expect(within(within(dialog).getByRole("alert")).queryByText(/carries a password/)).toBeNull();
    expect(puts[0]!.path).toBe("/api/v1/mq-connections/orders");
    expect(puts[0]!.query.get("namespace")).toBe("default");
    expect(puts[0]!.body).toEqual({ url: "redis://:hunter2@cache.internal:6379", password_secret: "redis-pass", timeout: "2m" });

    fireEvent.change(url, { target: { value: "redis://cache.internal:6379" } });
    fireEvent.change(timeout, { target: { value: "" } });
    fireEvent.change(within(dialog).getByLabelText("Stream cap (MAXLEN ~)"), { target: { value: "5000" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create connection" }));
    expect(await screen.findByText("Connection orders saved.")).toBeTruthy();
    expect(puts[1]!.body).toEqual({ url: "redis://cache.internal:6379", password_secret: "redis-pass", max_len: 5000 });
    expect(screen.queryByRole("dialog")).toBeNull();
    // The list is read again.
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/v1/mq-connections").length).toBeGreaterThan(1));
  });

  it("shows each broker's options as the URL's scheme changes, and sends only those", async () => {
    const puts: Call[] = [];
    start(
      "kro_admin",
      node([], (c) => {
        if (c.method !== "PUT") return undefined;
        puts.push(c);
        return { status: 200, body: { ...bus, ...(c.body as object), name: c.path.split("/").pop() } };
      }),
    );
    await screen.findByRole("table");
    fireEvent.click(screen.getByRole("button", { name: "New connection" }));
    const dialog = await screen.findByRole("dialog", { name: "New connection" });
    const options = within(dialog).getByTestId("mq-options");
    expect(within(options).getByText(/options of the broker appear once/)).toBeTruthy();
    // No secrets yet: a way to the Secrets page.
    expect((await within(dialog).findByRole("link", { name: "Create one on the Secrets page" })).getAttribute("href")).toBe("/secrets");

    const url = within(dialog).getByLabelText("URL");
    fireEvent.change(url, { target: { value: "nats://nats.internal:4222" } });
    expect(within(dialog).getByRole("group", { name: "NATS options" })).toBe(options);
    fireEvent.click(within(options).getByLabelText(/JetStream/));
    expect(within(options).queryByLabelText("Exchange")).toBeNull();

    fireEvent.change(url, { target: { value: "amqps://rabbit.internal:5671/" } });
    expect(within(options).queryByLabelText(/JetStream/)).toBeNull();
    expect(within(options).getByLabelText("Exchange")).toBeTruthy();
    expect(within(options).getByLabelText("Persistent messages (delivery mode 2)")).toBeTruthy();

    fireEvent.change(url, { target: { value: "mqtts://broker.internal:8883" } });
    expect(within(options).queryByLabelText("Exchange")).toBeNull();
    expect(within(options).getByLabelText("Client ID")).toBeTruthy();

    fireEvent.change(url, { target: { value: "rediss://cache.internal:6380" } });
    const maxLen = within(options).getByLabelText("Stream cap (MAXLEN ~)");
    fireEvent.change(maxLen, { target: { value: "lots" } });
    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: "cache" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create connection" }));
    // Checked before sending.
    expect(errorOf(maxLen)).toBe("Enter a whole number, 0 or more.");
    expect(puts).toHaveLength(0);

    // Back to NATS: the JetStream box checked before is sent, nothing of Redis.
    fireEvent.change(url, { target: { value: "nats://nats.internal:4222" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create connection" }));
    expect(await screen.findByText("Connection cache saved.")).toBeTruthy();
    expect(puts[0]!.body).toEqual({ url: "nats://nats.internal:4222", jetstream: true });
  });

  it("tests a connection: connect only, then a published message, then a failure with its kind", async () => {
    const tests: Call[] = [];
    start(
      "kro_edit",
      node([], (c) => {
        if (c.method !== "POST" || c.path !== "/api/v1/mq-connections/events/test") return undefined;
        tests.push(c);
        switch (tests.length) {
          case 1:
            return { status: 200, body: { ok: true, broker: "redis", duration_ms: 3 } };
          case 2:
            return { status: 200, body: { ok: true, broker: "redis", id: "1700000000000-0", duration_ms: 7 } };
          default:
            return {
              status: 200,
              body: { ok: false, broker: "redis", duration_ms: 5003, error: { kind: "connect", message: "dial tcp 10.0.0.9:6379: i/o timeout" } },
            };
        }
      }),
    );
    const table = await screen.findByRole("table");
    fireEvent.click(within(table).getByRole("button", { name: "Test events" }));
    const panel = await screen.findByRole("dialog", { name: "Test connection events" });
    fireEvent.click(within(panel).getByRole("button", { name: "Connect" }));
    let result = await within(panel).findByTestId("mq-test-result");
    expect(within(result).getByText("ok")).toBeTruthy();
    expect(result.textContent).toContain("The broker was reached.");
    expect(result.textContent).toContain("3 ms");
    expect(tests[0]!.body).toEqual({});

    fireEvent.change(within(panel).getByLabelText("Topic"), { target: { value: "orders" } });
    fireEvent.change(within(panel).getByLabelText("Payload"), { target: { value: '{"id":1}' } });
    fireEvent.click(within(panel).getByRole("button", { name: "Publish" }));
    await waitFor(() => expect(within(panel).getByTestId("mq-test-result").textContent).toContain("1700000000000-0"));
    result = within(panel).getByTestId("mq-test-result");
    expect(result.textContent).toContain("The broker took the message.");
    expect(result.textContent).toContain("redis");
    expect(tests[1]!.body).toEqual({ topic: "orders", payload: '{"id":1}' });
    expect(tests[1]!.query.get("namespace")).toBe("default");

    fireEvent.click(within(panel).getByRole("button", { name: "Publish" }));
    await waitFor(() => expect(within(panel).getByTestId("mq-test-result").textContent).toContain("failed"));
    result = within(panel).getByTestId("mq-test-result");
    expect(result.className).toContain("mq-result-failed");
    expect(within(result).getByText("connect")).toBeTruthy();
    expect(result.textContent).toContain("dial tcp 10.0.0.9:6379: i/o timeout");
    expect(result.textContent).toContain("5003 ms");
  });

  it("lets an editor type the secret's name (it cannot list secrets) and edit a connection", async () => {
    const puts: Call[] = [];
    const { calls } = start(
      "kro_edit",
      node([], (c) => {
        if (c.method !== "PUT") return undefined;
        puts.push(c);
        return { status: 200, body: { ...events, ...(c.body as object) } };
      }),
    );
    const table = await screen.findByRole("table");
    fireEvent.click(within(table).getByRole("button", { name: "Edit events" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit connection events" });
    expect(within(dialog).queryByLabelText("Name")).toBeNull();
    const secret = within(dialog).getByLabelText("Password secret") as HTMLInputElement;
    expect(secret.tagName).toBe("INPUT");
    expect(secret.value).toBe("redis-pass");
    expect((within(dialog).getByLabelText("Stream cap (MAXLEN ~)") as HTMLInputElement).value).toBe("100000");
    fireEvent.change(within(dialog).getByLabelText("Description"), { target: { value: "Order events, v2" } });
    fireEvent.click(within(dialog).getByLabelText("Skip certificate verification"));
    expect(within(dialog).getByText(/certificate is not checked/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "Save connection" }));
    expect(await screen.findByText("Connection events saved.")).toBeTruthy();
    expect(puts[0]!.path).toBe("/api/v1/mq-connections/events");
    expect(puts[0]!.body).toEqual({
      description: "Order events, v2",
      url: "redis://cache.internal:6379/0",
      username: "publisher",
      password_secret: "redis-pass",
      insecure_skip_verify: true,
      max_len: 100000,
    });
    expect(calls.some((c) => c.path === "/api/v1/secrets")).toBe(false);
  });

  it("asks again when tasks use a connection (409), then deletes it with force", async () => {
    const { calls } = start(
      "kro_admin",
      node([], (c) => {
        if (c.method !== "DELETE") return undefined;
        return c.query.get("force") === "true"
          ? { status: 204 }
          : {
              status: 409,
              body: {
                title: "Conflict",
                status: 409,
                detail: 'delete mq connection "events": tasks of namespace "default" publish through it: "order-feed"; change their config.connection or delete them first, or pass force=true',
              },
            };
      }),
    );
    const table = await screen.findByRole("table");
    fireEvent.click(within(table).getByRole("button", { name: "Delete events" }));
    const first = await screen.findByRole("dialog", { name: "Delete connection events?" });
    fireEvent.click(within(first).getByRole("button", { name: "Delete" }));
    const second = await screen.findByRole("dialog", { name: "events is in use" });
    expect(within(second).getByText(/publish through it: "order-feed"/)).toBeTruthy();
    fireEvent.click(within(second).getByRole("button", { name: "Delete anyway" }));
    expect(await screen.findByText("Connection events deleted.")).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.query.get("force"))).toEqual([null, "true"]);
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});

describe("MQ connection model", () => {
  it("knows each scheme's broker", () => {
    expect(brokerOf("rediss://h:6380")).toBe("redis");
    expect(brokerOf("TLS://h:4222")).toBe("nats");
    expect(brokerOf("amqp://guest@rabbit:5672/")).toBe("rabbitmq");
    expect(brokerOf("ssl://h:8883")).toBe("mqtt");
    expect(brokerOf("http://h")).toBeUndefined();
    expect(brokerOf("")).toBeUndefined();
  });

  it("drops the options of other brokers", () => {
    const all = { ...emptyForm, jetstream: true, exchange: "ev", persistent: true, max_len: "10", client_id: "c1" };
    expect(inputOf({ ...all, url: "amqp://rabbit:5672/" })).toEqual({ url: "amqp://rabbit:5672/", exchange: "ev", persistent: true });
    expect(inputOf({ ...all, url: "mqtt://b:1883" })).toEqual({ url: "mqtt://b:1883", client_id: "c1" });
    expect(inputOf({ ...all, url: "ftp://x" })).toEqual({ url: "ftp://x" });
  });
});
