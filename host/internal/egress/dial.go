package egress

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// Dial connects to address ("host:port") under the client's policy, for
// the protocols other than HTTP that plugins reach through the host (the
// message brokers of mq_publish). The checks are those of an HTTP request:
// the host must pass AllowedHosts, and the name is resolved here and every
// address checked at dial time (and again just before connect(2)), so a
// refusal never opens a connection and DNS rebinding cannot get around it.
// Only TCP is dialled. Errors are an [*Error] for a refusal (KindRefused),
// a bad address (KindInvalidRequest) or a failed lookup (KindDNS), and the
// dialer's own error when the connection failed. The caller's ctx bounds
// the dial, and so does the policy's Timeout.
func (c *Client) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &Error{Kind: KindRefused, Msg: fmt.Sprintf("dial %s %s: network %s is not allowed (only TCP)", network, address, network)}
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Msg: fmt.Sprintf("dial %s: %v", address, err), err: err}
	}
	for i := range len(host) {
		if host[i] >= 0x80 {
			return nil, &Error{Kind: KindInvalidRequest, Msg: fmt.Sprintf("host %q is not ASCII: write internationalized names in their punycode (xn--) form", host)}
		}
	}
	if !c.hosts.allows(strings.Trim(host, "[]")) {
		return nil, &Error{Kind: KindRefused, Msg: fmt.Sprintf("host %s is not in the namespace's allowed_hosts (%s); add it to allowed_hosts", host, c.hosts)}
	}
	return c.dialContext(ctx, network, address)
}
