// What the MQ connections page knows of brokers: which URL scheme names
// which broker (as core.MQSchemes on the server), and the put body a form
// becomes, with only the options of the URL's broker in it (the server
// refuses jetstream on a redis:// URL and the like).
import type { components } from "../../api/schema";
import { wholeNumber } from "../admin/format";

export type MQConnection = components["schemas"]["MQConnection"];
export type MQConnectionInput = components["schemas"]["MQConnectionInput"];
export type MQTestInput = components["schemas"]["MQTestInput"];
export type MQTestResult = components["schemas"]["MQTestResult"];
export type Broker = MQConnection["broker"];

/** The URL schemes a connection may use, by broker (core.MQSchemes). */
export const schemes: Record<string, Broker> = {
  redis: "redis",
  rediss: "redis",
  nats: "nats",
  tls: "nats",
  amqp: "rabbitmq",
  amqps: "rabbitmq",
  mqtt: "mqtt",
  mqtts: "mqtt",
  tcp: "mqtt",
  ssl: "mqtt",
};

/** brokerOf returns the broker a URL's scheme names, or undefined while it names none. */
export function brokerOf(url: string): Broker | undefined {
  const m = /^\s*([a-z][a-z0-9+.-]*):/i.exec(url);
  return m ? schemes[m[1]!.toLowerCase()] : undefined;
}

/** The form's values, as typed (numbers too). */
export interface FormValues {
  description: string;
  url: string;
  username: string;
  password_secret: string;
  ca_pem: string;
  insecure_skip_verify: boolean;
  timeout: string;
  jetstream: boolean;
  exchange: string;
  persistent: boolean;
  max_len: string;
  client_id: string;
}

export const emptyForm: FormValues = {
  description: "",
  url: "",
  username: "",
  password_secret: "",
  ca_pem: "",
  insecure_skip_verify: false,
  timeout: "",
  jetstream: false,
  exchange: "",
  persistent: false,
  max_len: "",
  client_id: "",
};

/** formOf fills the form with a stored connection. */
export function formOf(c: MQConnection): FormValues {
  return {
    description: c.description ?? "",
    url: c.url,
    username: c.username ?? "",
    password_secret: c.password_secret ?? "",
    ca_pem: c.ca_pem ?? "",
    insecure_skip_verify: !!c.insecure_skip_verify,
    timeout: c.timeout ?? "",
    jetstream: !!c.jetstream,
    exchange: c.exchange ?? "",
    persistent: !!c.persistent,
    max_len: c.max_len ? String(c.max_len) : "",
    client_id: c.client_id ?? "",
  };
}

/**
 * inputOf turns the form into put-mq-connection's body: empty fields left
 * out, and of the broker options only those of the URL's broker. max_len
 * is NaN when it is not a whole number (the form says so before sending).
 */
export function inputOf(v: FormValues): MQConnectionInput {
  const broker = brokerOf(v.url);
  const body: MQConnectionInput = { url: v.url.trim() };
  const text = (s: string) => s.trim();
  if (text(v.description)) body.description = text(v.description);
  if (text(v.username)) body.username = text(v.username);
  if (v.password_secret) body.password_secret = v.password_secret.trim();
  if (v.ca_pem.trim()) body.ca_pem = v.ca_pem;
  if (v.insecure_skip_verify) body.insecure_skip_verify = true;
  if (text(v.timeout)) body.timeout = text(v.timeout);
  if (broker === "nats" && v.jetstream) body.jetstream = true;
  if (broker === "rabbitmq") {
    if (text(v.exchange)) body.exchange = text(v.exchange);
    if (v.persistent) body.persistent = true;
  }
  if (broker === "redis") {
    const n = wholeNumber(v.max_len);
    if (n !== undefined) body.max_len = n;
  }
  if (broker === "mqtt" && text(v.client_id)) body.client_id = text(v.client_id);
  return body;
}

/** The form fields whose problems each broker's options show. */
export const brokerFields: Record<Broker, string[]> = {
  redis: ["max_len"],
  nats: ["jetstream"],
  rabbitmq: ["exchange", "persistent"],
  mqtt: ["client_id"],
};
