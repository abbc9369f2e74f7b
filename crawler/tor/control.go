package tor

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is a small client for tor's control protocol (control-spec.txt):
// cookie authentication, GETINFO, SIGNAL NEWNYM, HSFETCH and asynchronous
// events. It is what Vigil uses to watch a managed tor bootstrap, to ask for
// fresh circuits, and what the tests use to see which circuit carried which
// stream.

// Control is an authenticated connection to tor's ControlPort. Its methods
// are safe for concurrent use; commands are sent one at a time.
type Control struct {
	conn    net.Conn
	cmdMu   sync.Mutex // one command in flight
	replies chan ctlReply
	events  chan string
	done    chan struct{}
	errMu   sync.Mutex
	readErr error
}

// ctlReply is one complete synchronous reply: its status code and its lines
// (data blocks of "+" lines are appended to their line, newline-separated).
type ctlReply struct {
	code  int
	lines []string
}

// Event buffer: events that no one reads are dropped beyond this many.
const ctlEventBuffer = 4096

// DialControl connects to tor's ControlPort at addr and authenticates with the
// cookie in cookieFile (tor's CookieAuthentication), or with no credentials
// when cookieFile is "". It gives up when ctx ends.
func DialControl(ctx context.Context, addr, cookieFile string) (*Control, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tor control %s: %w", addr, err)
	}
	c := &Control{
		conn:    conn,
		replies: make(chan ctlReply, 1),
		events:  make(chan string, ctlEventBuffer),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	auth := "AUTHENTICATE"
	if cookieFile != "" {
		cookie, err := os.ReadFile(cookieFile)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("tor control %s: read cookie: %w", addr, err)
		}
		auth += " " + hex.EncodeToString(cookie)
	}
	if _, err := c.Do(ctx, auth); err != nil {
		c.Close()
		return nil, fmt.Errorf("tor control %s: authenticate: %w", addr, err)
	}
	return c, nil
}

// Close ends the connection. Pending commands fail.
func (c *Control) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

// Events returns the channel of asynchronous events ("650 ..." lines without
// the "650 " prefix) enabled with SetEvents. It is closed when the connection
// ends. Events are dropped if the channel's buffer is full.
func (c *Control) Events() <-chan string { return c.events }

func (c *Control) readLoop() {
	defer close(c.done)
	defer close(c.events)
	defer close(c.replies)
	r := bufio.NewReader(c.conn)
	var cur ctlReply
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			c.errMu.Lock()
			c.readErr = err
			c.errMu.Unlock()
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 {
			continue
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			continue
		}
		sep, text := line[3], line[4:]
		if sep == '+' {
			var data []string
			for {
				dl, err := r.ReadString('\n')
				if err != nil {
					c.errMu.Lock()
					c.readErr = err
					c.errMu.Unlock()
					return
				}
				dl = strings.TrimRight(dl, "\r\n")
				if dl == "." {
					break
				}
				data = append(data, strings.TrimPrefix(dl, "."))
			}
			text += "\n" + strings.Join(data, "\n")
		}
		cur.code = code
		cur.lines = append(cur.lines, text)
		if sep != ' ' {
			continue
		}
		if code == 650 {
			for _, l := range cur.lines {
				select {
				case c.events <- l:
				default:
				}
			}
		} else {
			c.replies <- cur
		}
		cur = ctlReply{}
	}
}

// Do sends one command line and returns the lines of its reply. A reply code
// other than 250 is an error quoting tor's answer.
func (c *Control) Do(ctx context.Context, cmd string) ([]string, error) {
	c.cmdMu.Lock()
	defer c.cmdMu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetWriteDeadline(dl)
	} else {
		c.conn.SetWriteDeadline(time.Time{})
	}
	if _, err := c.conn.Write([]byte(cmd + "\r\n")); err != nil {
		return nil, fmt.Errorf("tor control: send %s: %w", verb(cmd), err)
	}
	select {
	case rep, ok := <-c.replies:
		if !ok {
			c.errMu.Lock()
			err := c.readErr
			c.errMu.Unlock()
			return nil, fmt.Errorf("tor control: %s: connection closed: %w", verb(cmd), err)
		}
		if rep.code != 250 {
			return rep.lines, fmt.Errorf("tor control: %s: %d %s", verb(cmd), rep.code, strings.Join(rep.lines, "; "))
		}
		return rep.lines, nil
	case <-ctx.Done():
		// The reply may still arrive; the connection is no longer in step.
		c.conn.Close()
		return nil, fmt.Errorf("tor control: %s: %w", verb(cmd), ctx.Err())
	}
}

// verb is a command's first word, so that secrets never reach an error.
func verb(cmd string) string {
	v, _, _ := strings.Cut(cmd, " ")
	return v
}

// GetInfo returns the values of the GETINFO keys asked for.
func (c *Control) GetInfo(ctx context.Context, keys ...string) (map[string]string, error) {
	lines, err := c.Do(ctx, "GETINFO "+strings.Join(keys, " "))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		out[k] = strings.TrimPrefix(v, "\n")
	}
	return out, nil
}

// Bootstrap is tor's bootstrap state (GETINFO status/bootstrap-phase).
type Bootstrap struct {
	Progress int    // 0–100
	Tag      string // e.g. "conn_done", "done"
	Summary  string // tor's human-readable summary
	Warning  string // the last problem reported, if any
}

// Done reports whether tor has finished bootstrapping.
func (b Bootstrap) Done() bool { return b.Progress >= 100 }

// Bootstrap asks tor how far it has bootstrapped.
func (c *Control) Bootstrap(ctx context.Context) (Bootstrap, error) {
	m, err := c.GetInfo(ctx, "status/bootstrap-phase")
	if err != nil {
		return Bootstrap{}, err
	}
	return ParseBootstrap(m["status/bootstrap-phase"])
}

// ParseBootstrap parses a bootstrap status line such as
// `NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`.
func ParseBootstrap(s string) (Bootstrap, error) {
	f := parseKeyValues(s)
	p, err := strconv.Atoi(f["PROGRESS"])
	if err != nil {
		return Bootstrap{}, fmt.Errorf("bootstrap status %q: no progress", s)
	}
	return Bootstrap{Progress: p, Tag: f["TAG"], Summary: f["SUMMARY"], Warning: f["WARNING"]}, nil
}

// NewNym asks tor for new circuits for new streams (SIGNAL NEWNYM). Tor rate
// limits it to one every 10 seconds and still answers OK.
func (c *Control) NewNym(ctx context.Context) error {
	_, err := c.Do(ctx, "SIGNAL NEWNYM")
	return err
}

// SetEvents subscribes to asynchronous events (e.g. "STREAM", "HS_DESC");
// they arrive on Events. No names unsubscribes from all.
func (c *Control) SetEvents(ctx context.Context, names ...string) error {
	_, err := c.Do(ctx, strings.TrimSpace("SETEVENTS "+strings.Join(names, " ")))
	return err
}

// Circuit is one of tor's circuits as listed by GETINFO circuit-status.
type Circuit struct {
	ID            string
	Status        string // LAUNCHED, BUILT, EXTENDED, FAILED, CLOSED, GUARD_WAIT
	Path          []string
	Purpose       string // e.g. GENERAL, HS_CLIENT_REND
	RendQuery     string // the onion address (without ".onion") of an onion-service circuit
	SOCKSUsername string
	SOCKSPassword string
}

// Circuits returns tor's current circuits.
func (c *Control) Circuits(ctx context.Context) ([]Circuit, error) {
	m, err := c.GetInfo(ctx, "circuit-status")
	if err != nil {
		return nil, err
	}
	var out []Circuit
	for _, l := range strings.Split(m["circuit-status"], "\n") {
		if circ, ok := ParseCircuit(l); ok {
			out = append(out, circ)
		}
	}
	return out, nil
}

// ParseCircuit parses one circuit-status line or CIRC event body
// ("ID STATUS [PATH] KEY=VALUE...").
func ParseCircuit(line string) (Circuit, bool) {
	line = strings.TrimPrefix(strings.TrimSpace(line), "CIRC ")
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return Circuit{}, false
	}
	circ := Circuit{ID: fields[0], Status: fields[1]}
	if len(fields) > 2 && !strings.Contains(fields[2], "=") {
		circ.Path = strings.Split(fields[2], ",")
	}
	kv := parseKeyValues(line)
	circ.Purpose, circ.RendQuery = kv["PURPOSE"], kv["REND_QUERY"]
	circ.SOCKSUsername, circ.SOCKSPassword = kv["SOCKS_USERNAME"], kv["SOCKS_PASSWORD"]
	return circ, true
}

// StreamEvent is a STREAM event: a stream's new status and the circuit it is
// attached to.
type StreamEvent struct {
	ID            string
	Status        string // NEW, SENTCONNECT, SUCCEEDED, FAILED, CLOSED, ...
	CircuitID     string // "0" while unattached
	Target        string // host:port
	SOCKSUsername string
	Reason        string
}

// ParseStreamEvent parses the body of a STREAM event as delivered on Events
// ("STREAM ID STATUS CIRCID TARGET KEY=VALUE...").
func ParseStreamEvent(ev string) (StreamEvent, bool) {
	fields := strings.Fields(ev)
	if len(fields) < 5 || fields[0] != "STREAM" {
		return StreamEvent{}, false
	}
	kv := parseKeyValues(ev)
	return StreamEvent{ID: fields[1], Status: fields[2], CircuitID: fields[3], Target: fields[4],
		SOCKSUsername: kv["SOCKS_USERNAME"], Reason: kv["REASON"]}, true
}

// HSFetch asks tor to fetch the descriptor of onion (with or without
// ".onion") and waits for the outcome. It returns nil once tor has received
// the descriptor and an error if the HSDir asked answered without it (callers retry: a
// descriptor may not be uploaded yet) or ctx ends first. It
// uses its own event subscription, so call it on a Control not used for
// other events.
func (c *Control) HSFetch(ctx context.Context, onion string) error {
	addr := strings.TrimSuffix(strings.ToLower(onion), ".onion")
	if err := c.SetEvents(ctx, "HS_DESC"); err != nil {
		return err
	}
	defer c.SetEvents(context.WithoutCancel(ctx), "")
	if _, err := c.Do(ctx, "HSFETCH "+addr); err != nil {
		return err
	}
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return fmt.Errorf("tor control: hsfetch %s: connection closed", addr)
			}
			f := strings.Fields(ev)
			if len(f) < 4 || f[0] != "HS_DESC" || f[2] != addr {
				continue
			}
			switch f[1] {
			case "RECEIVED":
				return nil
			case "FAILED":
				return fmt.Errorf("tor control: hsfetch %s: %s", addr, ev)
			}
		case <-ctx.Done():
			return fmt.Errorf("tor control: hsfetch %s: %w", addr, ctx.Err())
		}
	}
}

// parseKeyValues reads KEY=VALUE and KEY="quoted value" pairs from a
// control-protocol line; other words are skipped.
func parseKeyValues(s string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '=' {
			i++
		}
		key := s[start:i]
		if i >= len(s) || s[i] != '=' {
			for i < len(s) && s[i] != ' ' {
				i++
			}
			continue
		}
		i++ // '='
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			i++ // closing quote
			out[key] = b.String()
			continue
		}
		vs := i
		for i < len(s) && s[i] != ' ' {
			i++
		}
		out[key] = s[vs:i]
	}
	return out
}
