package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/openapi/client"
)

func newMQCmd() *cobra.Command {
	o := &clientOptions{}
	cmd := newClientGroup("mq", "Create, list, test and delete the MQ connections of a namespace",
		`MQ manages the message brokers a namespace publishes to: Redis streams,
NATS (with JetStream), RabbitMQ and MQTT. Tasks of the mq executor name a
connection in their config ("connection"); the server connects, pools and
reuses it under the namespace's network policy. A connection never holds a
password: --password-secret names a secret of the namespace ("kronos secrets
set") that holds it.`, o, true)
	cmd.Example = `  kronos mq create events --url nats://nats.internal:4222 --jetstream
  kronos secrets set rabbit-pass --from-file pass.txt
  kronos mq create orders --url amqps://rabbit:5671/ --username kronos --password-secret rabbit-pass --exchange orders --persistent
  kronos mq test events --topic kronos.test --payload '{"hello":"world"}'
  kronos mq list
  kronos mq delete events`
	cmd.AddCommand(newMQCreateCmd(o), newMQListCmd(o), newMQGetCmd(o), newMQDeleteCmd(o), newMQTestCmd(o))
	return cmd
}

func newMQCreateCmd(o *clientOptions) *cobra.Command {
	var url, username, passwordSecret, caFile, timeout, exchange, clientID, description string
	var insecure, jetstream, persistent bool
	var maxLen int64
	cmd := &cobra.Command{
		Use:   "create NAME --url URL",
		Short: "Create an MQ connection, or replace the one of the same name",
		Long: `Create stores the connection NAME, replacing any of that name: settings
left out are cleared. The URL's scheme chooses the broker: redis or rediss,
nats or tls, amqp or amqps, mqtt, mqtts, tcp or ssl. The URL must not carry a
password; --password-secret names the namespace secret that holds it, which
must exist. An invalid setting is reported with its field (exit code 5).`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if url == "" {
				return &usageError{err: fmtUsage(cmd, errors.New("--url is required: the broker's URL, such as nats://127.0.0.1:4222"))}
			}
			in := client.MQConnectionInput{
				Url: &url, Username: changed(cmd, "username", username), PasswordSecret: changed(cmd, "password-secret", passwordSecret),
				Timeout: changed(cmd, "timeout", timeout), Exchange: changed(cmd, "exchange", exchange),
				ClientId: changed(cmd, "client-id", clientID), Description: changed(cmd, "description", description),
			}
			if caFile != "" {
				pem, err := os.ReadFile(caFile)
				if err != nil {
					return &usageError{err: fmt.Errorf("read --ca-file: %w", err)}
				}
				s := string(pem)
				in.CaPem = &s
			}
			if insecure {
				in.InsecureSkipVerify = &insecure
			}
			if jetstream {
				in.Jetstream = &jetstream
			}
			if persistent {
				in.Persistent = &persistent
			}
			if maxLen != 0 {
				in.MaxLen = &maxLen
			}
			what := fmt.Sprintf("create mq connection %q", args[0])
			r, err := o.api.PutMqConnectionWithResponse(cmd.Context(), args[0], &client.PutMqConnectionParams{Namespace: o.ns()}, in)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { mqTable(w, []client.MQConnection{*r.JSON200}) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "the broker's URL, without a password: redis://, nats://, amqp://, mqtt:// (and their TLS forms)")
	f.StringVar(&username, "username", "", "the login, when the URL has none")
	f.StringVar(&passwordSecret, "password-secret", "", "the namespace secret holding the password")
	f.StringVar(&caFile, "ca-file", "", "PEM `file` of extra certificates to trust for TLS")
	f.BoolVar(&insecure, "insecure-skip-verify", false, "turn TLS certificate verification off (tests only)")
	f.StringVar(&timeout, "timeout", "", "bound on connecting and each publish, at most 1m (default 5s)")
	f.BoolVar(&jetstream, "jetstream", false, "NATS: wait for a JetStream ack on each publish")
	f.StringVar(&exchange, "exchange", "", "AMQP: the exchange of messages that name none")
	f.BoolVar(&persistent, "persistent", false, "AMQP: publish persistent messages")
	f.Int64Var(&maxLen, "max-len", 0, "Redis: cap each stream at about this many entries (default: no cap)")
	f.StringVar(&clientID, "client-id", "", "MQTT: the client ID, where ${node} stands for the node's ID, such as kronos-${node} (default: a random one)")
	f.StringVar(&description, "description", "", "what the broker is for")
	return cmd
}

func newMQListCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the namespace's MQ connections",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.api.ListMqConnectionsWithResponse(cmd.Context(), &client.ListMqConnectionsParams{Namespace: o.ns()})
			if err := o.check("list mq connections", r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody("list mq connections", r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { mqTable(w, deref(r.JSON200.Connections)) })
		},
	}
}

func newMQGetCmd(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Print an MQ connection; -o yaml or -o json shows every setting",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("get mq connection %q", args[0])
			r, err := o.api.GetMqConnectionWithResponse(cmd.Context(), args[0], &client.GetMqConnectionParams{Namespace: o.ns()})
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if r.JSON200 == nil {
				return noBody(what, r)
			}
			return o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { mqTable(w, []client.MQConnection{*r.JSON200}) })
		},
	}
}

func newMQDeleteCmd(o *clientOptions) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an MQ connection no task uses",
		Long: `Delete deletes a connection; while mq tasks name it, it is a conflict
(exit code 4) that names them, unless --force (their executions then fail,
saying the connection does not exist).`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := fmt.Sprintf("delete mq connection %q", args[0])
			p := &client.DeleteMqConnectionParams{Namespace: o.ns()}
			if force {
				p.Force = &force
			}
			r, err := o.api.DeleteMqConnectionWithResponse(cmd.Context(), args[0], p)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			if o.output == "table" {
				fmt.Fprintf(cmd.OutOrStdout(), "mq connection %q deleted\n", args[0])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete it even while tasks name it")
	return cmd
}

func newMQTestCmd(o *clientOptions) *cobra.Command {
	var topic, payload, key, exchange string
	var headers []string
	var qos int64
	var retain bool
	cmd := &cobra.Command{
		Use:   "test NAME [--topic TOPIC]",
		Short: "Connect to an MQ connection's broker, and publish one message with --topic",
		Long: `Test connects to the broker as executions do, from the server, under the
namespace's network policy. With --topic it publishes one message (--payload,
--header k=v, ...) and prints the broker's message ID where it gives one.
When the broker cannot be reached or refuses, it prints the error's kind
(connect, auth, refused, timeout, ...) and message and exits 1.`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.MQTestInput{
				Topic: changed(cmd, "topic", topic), Payload: changed(cmd, "payload", payload),
				Key: changed(cmd, "key", key), Exchange: changed(cmd, "exchange", exchange),
			}
			if len(headers) > 0 {
				h := map[string]string{}
				for _, kv := range headers {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return &usageError{err: fmtUsage(cmd, fmt.Errorf("--header %q: write it as name=value", kv))}
					}
					h[k] = v
				}
				in.Headers = &h
			}
			if cmd.Flags().Changed("qos") {
				in.Qos = &qos
			}
			if retain {
				in.Retain = &retain
			}
			what := fmt.Sprintf("test mq connection %q", args[0])
			r, err := o.api.TestMqConnectionWithResponse(cmd.Context(), args[0], &client.TestMqConnectionParams{Namespace: o.ns()}, in)
			if err := o.check(what, r, err); err != nil {
				return err
			}
			res := r.JSON200
			if res == nil {
				return noBody(what, r)
			}
			if err := o.print(cmd.OutOrStdout(), apiObject(r.Body), func(w io.Writer) { mqTestTable(w, res) }); err != nil {
				return err
			}
			if !res.Ok {
				kind, msg := "other", "the test failed"
				if res.Error != nil {
					kind, msg = string(res.Error.Kind), res.Error.Message
				}
				return fmt.Errorf("%s: %s: %s", what, kind, msg)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&topic, "topic", "", "publish one message to this Redis stream, NATS subject, AMQP routing key or MQTT topic (default: only connect)")
	fl.StringVar(&payload, "payload", "", "the message's payload")
	fl.StringArrayVar(&headers, "header", nil, "a message header as name=value; repeat it for more (not for MQTT)")
	fl.StringVar(&key, "key", "", "Redis: the entry's key field")
	fl.StringVar(&exchange, "exchange", "", "AMQP: the exchange (default: the connection's)")
	fl.Int64Var(&qos, "qos", 1, "MQTT: the QoS, 0 to 2")
	fl.BoolVar(&retain, "retain", false, "MQTT: publish a retained message")
	return cmd
}

// mqTable writes MQ connections as a table.
func mqTable(w io.Writer, cs []client.MQConnection) {
	fmt.Fprintln(w, "NAME\tBROKER\tURL\tPASSWORD SECRET\tUPDATED")
	for _, c := range cs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Broker, c.Url, orDash(deref(c.PasswordSecret)), c.UpdatedAt.Format(time.RFC3339))
	}
}

// mqTestTable writes the outcome of a test.
func mqTestTable(w io.Writer, r *client.MQTestResult) {
	fmt.Fprintln(w, "OK\tBROKER\tID\tDURATION\tERROR")
	errText := "-"
	if r.Error != nil {
		errText = string(r.Error.Kind) + ": " + r.Error.Message
	}
	fmt.Fprintf(w, "%v\t%s\t%s\t%s\t%s\n", r.Ok, orDash(r.Broker), orDash(deref(r.Id)), strconv.FormatInt(r.DurationMs, 10)+"ms", errText)
}

// changed is &v when the flag was given, else nil (the server's default).
func changed(cmd *cobra.Command, flag, v string) *string {
	if cmd.Flags().Changed(flag) {
		return &v
	}
	return nil
}
