package tor

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"vigil"
)

// This file is a small SOCKS5 CONNECT client (RFC 1928 with the RFC 1929
// username/password method). It is written here rather than taken from
// golang.org/x/net/proxy because that client reports tor's reply codes only as
// text ("unknown code: 240"); this one returns them as *SOCKSError, and it
// always sends a host name as a name (ATYP 0x03) so that the proxy, never this
// process, resolves it.

// SOCKS5 reply codes: the RFC 1928 ones, and the ones tor sends when its
// SocksPort has ExtendedErrors.
const (
	CodeGeneralFailure      byte = 0x01
	CodeNotAllowed          byte = 0x02
	CodeNetworkUnreachable  byte = 0x03
	CodeHostUnreachable     byte = 0x04
	CodeConnectionRefused   byte = 0x05
	CodeTTLExpired          byte = 0x06
	CodeCommandNotSupported byte = 0x07
	CodeAddressNotSupported byte = 0x08
	CodeOnionDescNotFound   byte = 0xF0
	CodeOnionDescInvalid    byte = 0xF1
	CodeOnionIntroFailed    byte = 0xF2
	CodeOnionRendFailed     byte = 0xF3
	CodeOnionMissingAuth    byte = 0xF4
	CodeOnionWrongAuth      byte = 0xF5
	CodeOnionInvalidAddress byte = 0xF6
	CodeOnionIntroTimedOut  byte = 0xF7
)

// Protocol constants.
const (
	socksVersion             byte = 0x05
	socksAuthNone            byte = 0x00
	socksAuthPassword        byte = 0x02
	socksAuthNoAcceptable    byte = 0xFF
	socksCmdConnect          byte = 0x01
	socksAtypIPv4            byte = 0x01
	socksAtypDomain          byte = 0x03
	socksAtypIPv6            byte = 0x04
	socksPasswordAuthVersion byte = 0x01
	socksMaxField                 = 255
	isolationPassword             = "vigil"
	defaultDialTimeout            = 30 * time.Second
	defaultRetries                = 2
	defaultRetryBackoff           = time.Second
	defaultCheckTimeout           = 5 * time.Second
)

var socksCodeNames = map[byte]string{
	CodeGeneralFailure:      "general SOCKS server failure",
	CodeNotAllowed:          "connection not allowed by ruleset",
	CodeNetworkUnreachable:  "network unreachable",
	CodeHostUnreachable:     "host unreachable",
	CodeConnectionRefused:   "connection refused",
	CodeTTLExpired:          "TTL expired",
	CodeCommandNotSupported: "command not supported",
	CodeAddressNotSupported: "address type not supported",
	CodeOnionDescNotFound:   "onion service descriptor not found",
	CodeOnionDescInvalid:    "onion service descriptor is invalid",
	CodeOnionIntroFailed:    "onion service introduction failed",
	CodeOnionRendFailed:     "onion service rendezvous failed",
	CodeOnionMissingAuth:    "onion service client authorization missing",
	CodeOnionWrongAuth:      "onion service client authorization wrong",
	CodeOnionInvalidAddress: "invalid onion service address",
	CodeOnionIntroTimedOut:  "onion service introduction timed out",
}

// SOCKSError is a non-success reply of the SOCKS proxy to a CONNECT request:
// the proxy is up, but it could not reach Target. It is a per-page failure,
// not a crawl-level one.
type SOCKSError struct {
	Code   byte
	Target string // host:port that was asked for
}

func (e *SOCKSError) Error() string {
	name, ok := socksCodeNames[e.Code]
	if !ok {
		name = "unknown reply code"
	}
	return fmt.Sprintf("socks connect to %s: %s (0x%02X)", e.Target, name, e.Code)
}

// Permanent reports whether retrying the same target soon is pointless: the
// onion address is invalid (0xF6), its descriptor cannot be found (0xF0) or is
// invalid (0xF1), client authorization is missing or wrong (0xF4, 0xF5), or
// the proxy refuses the request outright (0x02, 0x07, 0x08). Every other code
// (0x01 general failure, 0xF2 introduction failed, 0xF7 introduction timed
// out, 0x04 host unreachable, ...) is worth retrying later.
func (e *SOCKSError) Permanent() bool {
	switch e.Code {
	case CodeOnionDescNotFound, CodeOnionDescInvalid, CodeOnionInvalidAddress,
		CodeOnionMissingAuth, CodeOnionWrongAuth,
		CodeNotAllowed, CodeCommandNotSupported, CodeAddressNotSupported:
		return true
	}
	return false
}

// ProxyError means the SOCKS proxy itself could not be used: nothing listens
// at Addr, or what answers there does not complete a SOCKS5 greeting. Nothing
// was sent anywhere else (fail closed). It is a crawl-level, retryable
// failure: vigil.ErrorCode reports it as vigil.EUNAVAILABLE.
type ProxyError struct {
	Addr string // the proxy's host:port
	Err  error
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("tor socks proxy %s unavailable (nothing sent, failing closed): %v", e.Addr, e.Err)
}

func (e *ProxyError) Unwrap() error { return e.Err }

// As lets errors.As find a *vigil.Error with code vigil.EUNAVAILABLE in any
// chain that holds a *ProxyError.
func (e *ProxyError) As(target any) bool {
	if t, ok := target.(**vigil.Error); ok {
		*t = vigil.Errorf(vigil.EUNAVAILABLE, "tor socks proxy %s unavailable", e.Addr)
		return true
	}
	return false
}

// IsProxyDown reports whether err (or anything it wraps) is a *ProxyError.
func IsProxyDown(err error) bool {
	var pe *ProxyError
	return errors.As(err, &pe)
}

// addressError is a dial target this package cannot ask for at all; it is
// never retried.
type addressError struct{ err error }

func (e *addressError) Error() string { return e.err.Error() }
func (e *addressError) Unwrap() error { return e.err }

// socksDialer connects to targets through one SOCKS5 proxy with one
// username/password pair.
type socksDialer struct {
	proxyAddr string
	username  string
	password  string
	timeout   time.Duration
}

// isolationUsername returns the SOCKS username for the pair key/host; names
// longer than the protocol allows are replaced by their SHA-256, which keeps
// them distinct.
func isolationUsername(key, host string) string {
	u := key + "/" + host
	if len(u) > socksMaxField {
		sum := sha256.Sum256([]byte(u))
		u = hex.EncodeToString(sum[:])
	}
	return u
}

// DialContext connects to addr (host:port) through the proxy. A host name is
// passed to the proxy as a name, never resolved here.
func (d *socksDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, &addressError{fmt.Errorf("socks dial %s: network %q not supported", addr, network)}
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &addressError{fmt.Errorf("socks dial %s: %w", addr, err)}
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &addressError{fmt.Errorf("socks dial %s: bad port: %w", addr, err)}
	}
	connectReq, err := connectRequest(strings.ToLower(host), uint16(port))
	if err != nil {
		return nil, &addressError{fmt.Errorf("socks dial %s: %w", addr, err)}
	}

	timeout := d.timeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", d.proxyAddr)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("socks dial %s: %w", addr, ctx.Err())
		}
		return nil, &ProxyError{Addr: d.proxyAddr, Err: err}
	}
	// A cancelled or expired context unblocks any read or write below.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(e error) (net.Conn, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("socks dial %s: %w (%v)", addr, ctx.Err(), e)
		}
		return nil, e
	}

	if err := greet(conn, d.username, d.password); err != nil {
		if ctx.Err() != nil {
			return fail(err)
		}
		return fail(&ProxyError{Addr: d.proxyAddr, Err: err})
	}
	if _, err := conn.Write(connectReq); err != nil {
		return fail(fmt.Errorf("socks connect to %s: %w", addr, err))
	}
	if err := readReply(conn, addr); err != nil {
		return fail(err)
	}
	if !stop() {
		// The context ended just as the handshake finished.
		conn.Close()
		return nil, fmt.Errorf("socks dial %s: %w", addr, ctx.Err())
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("socks dial %s: %w", addr, err)
	}
	return conn, nil
}

// greet runs the method negotiation and, when a username is given, the
// RFC 1929 username/password sub-negotiation.
func greet(conn net.Conn, username, password string) error {
	method := socksAuthNone
	if username != "" {
		method = socksAuthPassword
	}
	if _, err := conn.Write([]byte{socksVersion, 1, method}); err != nil {
		return fmt.Errorf("send greeting: %w", err)
	}
	var rep [2]byte
	if _, err := io.ReadFull(conn, rep[:]); err != nil {
		return fmt.Errorf("read greeting reply: %w", err)
	}
	if rep[0] != socksVersion {
		return fmt.Errorf("not a SOCKS5 proxy (version byte 0x%02X)", rep[0])
	}
	switch rep[1] {
	case socksAuthNone:
		return nil
	case socksAuthPassword:
		if username == "" {
			return errors.New("proxy asks for a password and none is configured")
		}
	case socksAuthNoAcceptable:
		return errors.New("proxy accepts none of the offered authentication methods")
	default:
		return fmt.Errorf("proxy chose unsupported authentication method 0x%02X", rep[1])
	}
	if len(username) > socksMaxField || len(password) > socksMaxField {
		return errors.New("socks username or password longer than 255 bytes")
	}
	msg := make([]byte, 0, 3+len(username)+len(password))
	msg = append(msg, socksPasswordAuthVersion, byte(len(username)))
	msg = append(msg, username...)
	msg = append(msg, byte(len(password)))
	msg = append(msg, password...)
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("send credentials: %w", err)
	}
	if _, err := io.ReadFull(conn, rep[:]); err != nil {
		return fmt.Errorf("read authentication reply: %w", err)
	}
	if rep[1] != 0 {
		return fmt.Errorf("proxy rejected the isolation credentials (status 0x%02X)", rep[1])
	}
	return nil
}

// connectRequest encodes a CONNECT to host:port. IP literals are sent as
// addresses; everything else as a domain name (ATYP 0x03), unresolved.
func connectRequest(host string, port uint16) ([]byte, error) {
	msg := []byte{socksVersion, socksCmdConnect, 0}
	if ip := net.ParseIP(host); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			msg = append(msg, socksAtypIPv4)
			msg = append(msg, ip4...)
		} else {
			msg = append(msg, socksAtypIPv6)
			msg = append(msg, ip.To16()...)
		}
	} else {
		if host == "" || len(host) > socksMaxField {
			return nil, fmt.Errorf("host name %q is empty or longer than 255 bytes", host)
		}
		msg = append(msg, socksAtypDomain, byte(len(host)))
		msg = append(msg, host...)
	}
	return binary.BigEndian.AppendUint16(msg, port), nil
}

// readReply reads the CONNECT reply and its bound address.
func readReply(conn net.Conn, target string) error {
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return fmt.Errorf("socks connect to %s: read reply: %w", target, err)
	}
	if hdr[0] != socksVersion {
		return fmt.Errorf("socks connect to %s: bad reply version 0x%02X", target, hdr[0])
	}
	if hdr[1] != 0 {
		return &SOCKSError{Code: hdr[1], Target: target}
	}
	var n int
	switch hdr[3] {
	case socksAtypIPv4:
		n = 4
	case socksAtypIPv6:
		n = 16
	case socksAtypDomain:
		var l [1]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			return fmt.Errorf("socks connect to %s: read bound address: %w", target, err)
		}
		n = int(l[0])
	default:
		return fmt.Errorf("socks connect to %s: bad bound address type 0x%02X", target, hdr[3])
	}
	if _, err := io.ReadFull(conn, make([]byte, n+2)); err != nil {
		return fmt.Errorf("socks connect to %s: read bound address: %w", target, err)
	}
	return nil
}

// CheckProxy reports whether a SOCKS5 proxy answers at socksAddr: it connects,
// offers the username/password method, reads the method choice and hangs up.
// Nothing is asked of the proxy beyond the greeting. Failures are
// *ProxyError. It gives up after 5 seconds unless ctx ends first.
func CheckProxy(ctx context.Context, socksAddr string) error {
	if socksAddr == "" {
		return &ProxyError{Addr: socksAddr, Err: errors.New("no address given")}
	}
	ctx, cancel := context.WithTimeout(ctx, defaultCheckTimeout)
	defer cancel()
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", socksAddr)
	if err != nil {
		return &ProxyError{Addr: socksAddr, Err: err}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write([]byte{socksVersion, 2, socksAuthNone, socksAuthPassword}); err != nil {
		return &ProxyError{Addr: socksAddr, Err: fmt.Errorf("send greeting: %w", err)}
	}
	var rep [2]byte
	if _, err := io.ReadFull(conn, rep[:]); err != nil {
		return &ProxyError{Addr: socksAddr, Err: fmt.Errorf("read greeting reply: %w", err)}
	}
	if rep[0] != socksVersion {
		return &ProxyError{Addr: socksAddr, Err: fmt.Errorf("not a SOCKS5 proxy (version byte 0x%02X)", rep[0])}
	}
	if rep[1] == socksAuthNoAcceptable {
		return &ProxyError{Addr: socksAddr, Err: errors.New("proxy accepts neither no-auth nor username/password")}
	}
	return nil
}
