// Package egress is the only way a Kronos plugin reaches the network: it
// serves the http_request host function under the network policy of the
// plugin's namespace.
//
// A [Client] is made from a [Policy] and sends one [Request] at a time with
// [Client.Do]. Every failure comes back as an [*Error] whose [ErrorKind] the
// host hands to the plugin as data ("refused", "timeout", ...); nothing in
// this package panics or traps the plugin on a network error.
//
// # Threat model
//
// A plugin is untrusted code that runs inside the Kronos network. Left alone,
// an HTTP client would let it attack what the Kronos node can reach but the
// tenant should not (server-side request forgery):
//
//   - Private and special addresses. Loopback (the Kronos API itself, Redis,
//     MySQL on localhost), RFC 1918 and unique-local networks, link-local,
//     CGNAT, 0.0.0.0 (which Linux routes to loopback), multicast, and every
//     other range of the IANA special-purpose registries are refused unless
//     the policy sets AllowPrivate or lists the address in AllowAddrs. The
//     ranges come from code.dny.dev/ssrf, generated from the IANA registries,
//     so IPv4-mapped IPv6 (::ffff:127.0.0.1), NAT64 (64:ff9b::/96) and the
//     rest of IPv6 outside 2000::/3 are covered.
//   - Cloud metadata endpoints. 169.254.169.254 (and its relatives) hand out
//     the node's cloud credentials; they are link-local, hence refused, and
//     the refusal names them.
//   - DNS rebinding. A name that resolves to a public address when checked
//     and to 127.0.0.1 when connected would defeat a check made before the
//     connection. So the check runs at dial time on the resolved address the
//     socket is about to connect to: the dialer resolves the name itself,
//     checks each address, and dials only checked IP literals; a
//     net.Dialer.Control hook checks the socket's address once more just
//     before connect(2). A refusal never opens a connection.
//   - Redirects. Every hop is checked again before it is followed: scheme
//     (http and https only), user info, the host allowlist, and an IP
//     literal's address class; the dial-time check covers the new
//     connection. Redirects are capped by MaxRedirects.
//   - Proxies. HTTP_PROXY, HTTPS_PROXY and friends in the Kronos process's
//     environment are ignored (the transport's Proxy is nil): a proxy would
//     connect on the plugin's behalf and bypass the dial-time check.
//   - Resource exhaustion. Response bodies are capped (MaxResponseBytes; a
//     longer body is cut and marked Truncated, which is not an error; the cap
//     applies after transparent gzip decoding, so a compression bomb is cut
//     too), request bodies are capped (MaxRequestBodyBytes), response headers
//     are capped, and every request has a timeout that includes redirects and
//     reading the body.
//
// # Decisions
//
//   - URLs with user info (https://user:pass@host/) are refused as
//     invalid_request: credentials in URLs end up in logs and in the final URL
//     the plugin is shown, and "allowed.example@evil.example" look-alikes are
//     a classic allowlist confusion. Send an Authorization header instead. A
//     redirect to such a URL is refused.
//   - Any port may be used; the address rules, not port numbers, decide.
//   - AllowedHosts patterns match the URL's host name, case-insensitively and
//     without a trailing dot, never its port. "*.example.com" matches one or
//     more labels in front of example.com but not example.com itself. An IP
//     literal URL passes the allowlist only if the literal is listed. Host
//     names must be ASCII (write internationalized names in their xn-- form)
//     so that the name checked is the name dialled.
//   - A name that resolves to several addresses is dialled only on the
//     addresses the policy allows, in the resolver's order; it is refused
//     when none is allowed.
//   - "localhost" and names under ".localhost" resolve to 127.0.0.1 and ::1
//     without a lookup (RFC 6761), so they are refused as loopback whatever
//     the system resolver says.
//   - AllowPrivate lifts the address ban entirely (it is meant for local
//     development); AllowAddrs lifts it for the listed prefixes only. Both are
//     matched against the address actually dialled (an IPv4-mapped address
//     is unmapped first). On an IPv6-only node behind NAT64, public IPv4
//     hosts need 64:ff9b::/96 in AllowAddrs; that admits whatever IPv4
//     address the gateway translates, so the gateway must drop private ones.
//   - A request's Timeout can only shorten the policy's Timeout, and
//     FollowRedirects can only turn redirects off: when the policy's
//     MaxRedirects is -1 the 3xx response is returned either way.
//   - A Host header set by the plugin is dropped: the Host is always the
//     URL's, so a plugin cannot reach another virtual host behind an allowed
//     address.
//   - Error messages show the URL without its query string, which often
//     carries API keys, because messages end up in execution logs.
//   - No cookie jar: nothing is carried from one request to the next.
package egress
