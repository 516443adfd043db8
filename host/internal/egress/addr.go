package egress

import (
	"fmt"
	"net/netip"
	"strings"

	"code.dny.dev/ssrf"
)

// Address ranges named in refusals that netip has no predicate for.
var (
	cgnatPrefix      = netip.MustParsePrefix("100.64.0.0/10")
	thisNetPrefix    = netip.MustParsePrefix("0.0.0.0/8")
	nat64LocalPrefix = netip.MustParsePrefix("64:ff9b:1::/48")
	// metadataAddrs are the cloud instance-metadata endpoints: AWS, GCP,
	// Azure, OpenStack (169.254.169.254), AWS ECS task metadata
	// (169.254.170.2), AWS IPv6 (fd00:ec2::254) and Alibaba Cloud
	// (100.100.100.200).
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"),
		netip.MustParseAddr("169.254.170.2"),
		netip.MustParseAddr("fd00:ec2::254"),
		netip.MustParseAddr("100.100.100.200"),
	}
)

// addrRules decides which addresses a connection may go to.
type addrRules struct {
	allowPrivate bool
	allowAddrs   []netip.Prefix
	// guard holds the IANA special-purpose ranges; it is consulted only
	// through SafeAddr, never as a dialer hook, so its port and network
	// rules do not apply.
	guard *ssrf.Guardian
}

func newAddrRules(p Policy) addrRules {
	return addrRules{
		allowPrivate: p.AllowPrivate,
		allowAddrs:   p.AllowAddrs,
		guard:        ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork()),
	}
}

// check returns nil when a connection to addr is allowed, or a refusal that
// names the address, its class and the settings that would allow it. name
// is the host name that resolved to addr, or "" for an IP literal.
func (r addrRules) check(name string, addr netip.Addr) *Error {
	a := addr.Unmap()
	if !a.IsValid() {
		return &Error{Kind: KindRefused, Msg: fmt.Sprintf("%q is not an IP address", addr)}
	}
	if r.allowPrivate {
		return nil
	}
	for _, p := range r.allowAddrs {
		if p.Contains(a) {
			return nil
		}
	}
	if r.guard.SafeAddr(a) == nil {
		return nil
	}
	var subject string
	switch {
	case name != "":
		subject = fmt.Sprintf("%s resolves to %s, which is", name, addr)
	case addr != a:
		subject = fmt.Sprintf("%s (IPv4-mapped %s) is", addr, a)
	default:
		subject = a.String() + " is"
	}
	exact := netip.PrefixFrom(a.WithZone(""), a.BitLen())
	return &Error{
		Kind: KindRefused,
		Msg: fmt.Sprintf("%s %s; the namespace's network policy does not allow private networks (allow_private, or add %s to allow_addrs)",
			subject, addrClass(a), exact),
	}
}

// addrClass names the kind of a refused address for a message: "a loopback
// address", "a private address", ...
func addrClass(a netip.Addr) string {
	for _, m := range metadataAddrs {
		if a == m {
			return "a cloud metadata endpoint"
		}
	}
	switch {
	case a.IsUnspecified():
		return "the unspecified address (it reaches this host)"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast():
		return "a link-local address"
	case a.Is4() && a.IsPrivate():
		return "a private address"
	case a.IsPrivate():
		return "a private (unique local) address"
	case cgnatPrefix.Contains(a):
		return "a shared (CGNAT) address"
	case a.IsMulticast():
		return "a multicast address"
	case thisNetPrefix.Contains(a):
		return `a "this network" address (it can reach this host)`
	case ssrf.IPv6NAT64Prefix.Contains(a) || nat64LocalPrefix.Contains(a):
		return "a NAT64 address (it can embed any IPv4 address, private ones included)"
	case a.Is6() && !ssrf.IPv6GlobalUnicast.Contains(a):
		return "a reserved IPv6 address (outside the global unicast range " + ssrf.IPv6GlobalUnicast.String() + ")"
	}
	denied := ssrf.IPv4DeniedPrefixes
	if a.Is6() {
		denied = ssrf.IPv6DeniedPrefixes
	}
	for _, p := range denied {
		if p.Contains(a) {
			return "a special-purpose address (IANA registry: " + p.String() + ")"
		}
	}
	return "a special-purpose address"
}

// localhostAddrs are what "localhost" and names under ".localhost" resolve
// to (RFC 6761 section 6.3), without asking a resolver.
var localhostAddrs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}

// isLocalhostName reports whether host is "localhost" or a name under it.
func isLocalhostName(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}
