// Package tornet runs a private Tor network on 127.0.0.1 for tests and
// demos: four directory authorities that are also the network's only relays
// (none of them an exit), one v3 onion service per configured Service, and a
// client with a SocksPort (IsolateSOCKSAuth, ExtendedErrors) and a
// cookie-authenticated ControlPort. It needs Debian's `tor` package (tor and
// tor-gencert) and nothing else; every process binds and connects to
// 127.0.0.1 only, never contacts a public authority (TestingTorNetwork with
// our own DirAuthority lines) and resolves no names (there are no exits).
//
// The layout, options and timings follow the reference in
// shared/tools/tornet (its README lists the pitfalls this package avoids):
// tor runs as a child process (no daemonizing, absolute paths, empty
// defaults torrc), GeoIP files are empty, entry guards are off, the first
// consensus is timed to come ~8 s after launch, and the onion services and
// the client start only once that consensus lists every relay. Start returns
// when the client is bootstrapped and it has fetched every onion service's
// descriptor: typically 15–35 s on a busy 2-core machine.
//
// Generated keys live under Config.Dir (and Config.KeyCache); nothing
// generated belongs in a repository.
package tornet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"vigil/crawler/tor"
)

// Service is one onion service of the network. Its port 80 forwards to
// Backend, served by the network on a loopback port of its own, or, when
// Backend is nil, to Addr.
type Service struct {
	// Name names the service in Onion, StopService and StartService; it
	// must be a short word of letters and digits.
	Name string
	// Backend is served over HTTP on a free 127.0.0.1 port for as long as
	// the network runs.
	Backend http.Handler
	// Addr is the 127.0.0.1:PORT of a backend the caller runs; used only
	// when Backend is nil.
	Addr string
}

// Config configures Start. The zero value with at least one Service works.
type Config struct {
	// Dir holds keys, torrcs, data directories and logs. "" means a new
	// temporary directory that Close removes.
	Dir string
	// BasePort, if not zero, is the first of the consecutive ports the
	// network uses; zero means free ports chosen by the kernel.
	BasePort int
	// Services are the onion services; at least one.
	Services []Service
	// Tor and TorGencert are the binaries; "" means "tor" and "tor-gencert"
	// from PATH (or /usr/sbin, /usr/bin).
	Tor, TorGencert string
	// KeyCache, if not "", is a directory where authority and relay keys are
	// kept and reused across networks (RSA key generation costs 2–20 s on a
	// busy machine). It is created if missing. Certificates are always
	// issued afresh.
	KeyCache string
	// Timeout bounds Start after the processes are launched; zero means 3
	// minutes.
	Timeout time.Duration
	// Logf, if set, receives progress lines.
	Logf func(format string, args ...any)
}

// Network is a running private Tor network. Its methods are safe for
// concurrent use.
type Network struct {
	cfg      Config
	dir      string
	ownDir   bool
	auths    []*node
	client   *node
	services map[string]*service
	order    []string
	servers  []*http.Server
	dirAuths []string // DirAuthority lines

	mu     sync.Mutex
	closed bool
}

type service struct {
	node    *node
	backend string
	onion   string
}

// Layout constants.
const (
	numAuths       = 4 // onion-service circuits have 4 hops: 3 relays cannot work
	votingInterval = 10
	firstConsensus = 11 * time.Second
	host           = "127.0.0.1"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9]{1,16}$`)

// Start builds and starts a private Tor network under cfg.Dir and returns
// once the client is bootstrapped and has fetched every onion service's
// descriptor, or with an error (after stopping whatever it started) when
// that does not happen within cfg.Timeout or ctx ends.
func Start(ctx context.Context, cfg Config) (*Network, error) {
	if len(cfg.Services) == 0 {
		return nil, errors.New("tornet: no onion services configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	torBin, err := findBinary(cfg.Tor, "tor")
	if err != nil {
		return nil, err
	}
	gencert, err := findBinary(cfg.TorGencert, "tor-gencert")
	if err != nil {
		return nil, err
	}
	cfg.Tor, cfg.TorGencert = torBin, gencert

	n := &Network{cfg: cfg, services: map[string]*service{}}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "tornet-")
		if err != nil {
			return nil, fmt.Errorf("tornet: %w", err)
		}
		n.dir, n.ownDir = d, true
	} else {
		d, err := filepath.Abs(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("tornet: %w", err)
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("tornet: %w", err)
		}
		n.dir = d
	}
	ok := false
	defer func() {
		if !ok {
			n.Close()
		}
	}()
	if err := n.build(ctx); err != nil {
		return nil, err
	}
	if err := n.launch(ctx); err != nil {
		return nil, err
	}
	ok = true
	return n, nil
}

func findBinary(given, name string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("tornet: %s not found in PATH (install Debian's tor package: apt-get install -y tor)", name)
}

// build allocates ports, starts the backends, generates keys and writes
// every torrc.
func (n *Network) build(ctx context.Context) error {
	if err := n.nameServices(); err != nil {
		return err
	}
	// Ports: each authority an ORPort and a DirPort, the client a SocksPort
	// and a ControlPort, every backend one.
	ports, err := n.allocPorts(2*numAuths + 2)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(n.dir, "empty"), ""); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(n.dir, "resolv.conf"), "nameserver 127.0.0.1\n"); err != nil {
		return err
	}
	for i := 0; i < numAuths; i++ {
		n.auths = append(n.auths, &node{name: fmt.Sprintf("auth%d", i), dir: filepath.Join(n.dir, fmt.Sprintf("auth%d", i)),
			orPort: ports[2*i], dirPort: ports[2*i+1]})
	}
	n.client = &node{name: "client", dir: filepath.Join(n.dir, "client"), socksPort: ports[2*numAuths], ctlPort: ports[2*numAuths+1]}
	if err := n.startBackends(); err != nil {
		return err
	}
	for _, nd := range n.nodes() {
		if err := os.MkdirAll(filepath.Join(nd.dir, "keys"), 0o700); err != nil {
			return fmt.Errorf("tornet: %w", err)
		}
		if err := os.Chmod(nd.dir, 0o700); err != nil {
			return fmt.Errorf("tornet: %w", err)
		}
	}

	t0 := time.Now()
	if err := n.genKeys(ctx); err != nil {
		return err
	}
	n.cfg.Logf("tornet: keys ready in %v", time.Since(t0).Round(time.Millisecond))
	hsdirs, err := n.readAuthorities()
	if err != nil {
		return err
	}
	return n.writeTorrcs(hsdirs)
}

// nameServices checks the names of the configured services and records
// them, in order.
func (n *Network) nameServices() error {
	names := make([]string, 0, len(n.cfg.Services))
	for _, s := range n.cfg.Services {
		if !nameRE.MatchString(s.Name) || s.Name == "client" || strings.HasPrefix(s.Name, "auth") {
			return fmt.Errorf("tornet: bad service name %q (letters and digits, not client or auth*)", s.Name)
		}
		if _, dup := n.services[s.Name]; dup {
			return fmt.Errorf("tornet: service %q configured twice", s.Name)
		}
		n.services[s.Name] = &service{}
		names = append(names, s.Name)
	}
	n.order = names
	return nil
}

// startBackends gives every service its node and its backend: a Backend
// handler served on a free 127.0.0.1 port, or the caller's Addr, which must
// be 127.0.0.1:PORT.
func (n *Network) startBackends() error {
	for _, s := range n.cfg.Services {
		svc := n.services[s.Name]
		svc.node = &node{name: "hs-" + s.Name, dir: filepath.Join(n.dir, "hs-"+s.Name)}
		if s.Backend != nil {
			ln, err := net.Listen("tcp", host+":0")
			if err != nil {
				return fmt.Errorf("tornet: backend of %s: %w", s.Name, err)
			}
			srv := &http.Server{Handler: s.Backend, ReadHeaderTimeout: 30 * time.Second}
			go srv.Serve(ln)
			n.servers = append(n.servers, srv)
			svc.backend = ln.Addr().String()
		} else {
			h, _, err := net.SplitHostPort(s.Addr)
			if err != nil || h != host {
				return fmt.Errorf("tornet: service %s: backend address %q is not 127.0.0.1:PORT", s.Name, s.Addr)
			}
			svc.backend = s.Addr
		}
	}
	return nil
}

// nodes returns every node of the network: the authorities, the client and
// the onion services in order.
func (n *Network) nodes() []*node {
	all := append(append([]*node{}, n.auths...), n.client)
	for _, name := range n.order {
		all = append(all, n.services[name].node)
	}
	return all
}

// readAuthorities reads the fingerprints of the authorities' generated keys
// into the network's DirAuthority lines, and returns the relays' identities
// for TestingDirAuthVoteHSDir.
func (n *Network) readAuthorities() (hsdirs []string, err error) {
	for _, a := range n.auths {
		cert, err := os.ReadFile(filepath.Join(a.dir, "keys", "authority_certificate"))
		if err != nil {
			return nil, fmt.Errorf("tornet: %w", err)
		}
		v3 := fieldAfter(string(cert), "fingerprint ")
		fpFile, err := os.ReadFile(filepath.Join(a.dir, "fingerprint"))
		if err != nil {
			return nil, fmt.Errorf("tornet: %w", err)
		}
		f := strings.Fields(string(fpFile))
		if len(f) < 2 || len(v3) != 40 || len(f[1]) != 40 {
			return nil, fmt.Errorf("tornet: cannot read the fingerprints of %s", a.name)
		}
		line := fmt.Sprintf("DirAuthority tn%s orport=%d v3ident=%s %s:%d %s", a.name, a.orPort, v3, host, a.dirPort, f[1])
		n.dirAuths = append(n.dirAuths, line)
		hsdirs = append(hsdirs, "$"+f[1])
	}
	return hsdirs, nil
}

// launch starts the authorities, then, once their consensus lists every
// relay, the onion services and the client, and waits until the network is
// usable.
func (n *Network) launch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	for _, a := range n.auths {
		if err := n.startNode(a); err != nil {
			return err
		}
	}
	// Started together with the relays, the client and services would
	// collect 404s for the consensus and back off for up to 10 s.
	consensus := filepath.Join(n.auths[0].dir, "cached-microdesc-consensus")
	err := poll(ctx, 200*time.Millisecond, func() (bool, error) {
		if err := n.checkAlive(n.auths...); err != nil {
			return false, err
		}
		return countRelays(consensus) >= numAuths, nil
	})
	if err != nil {
		return fmt.Errorf("tornet: first consensus: %w", err)
	}
	n.cfg.Logf("tornet: consensus with %d relays after %v", numAuths, time.Since(t0).Round(time.Millisecond))
	for _, name := range n.order {
		if err := n.startNode(n.services[name].node); err != nil {
			return err
		}
	}
	if err := n.startNode(n.client); err != nil {
		return err
	}

	// The client at 100 %.
	var ctl *tor.Control
	err = poll(ctx, 250*time.Millisecond, func() (bool, error) {
		if err := n.checkAlive(n.client); err != nil {
			return false, err
		}
		if ctl == nil {
			c, err := n.dialControl(ctx)
			if err != nil {
				return false, nil // not listening yet
			}
			ctl = c
		}
		b, err := ctl.Bootstrap(ctx)
		if err != nil {
			ctl.Close()
			ctl = nil
			return false, nil
		}
		return b.Done(), nil
	})
	if err != nil {
		return fmt.Errorf("tornet: client bootstrap: %w (see %s)", err, filepath.Join(n.client.dir, "notice.log"))
	}
	ctl.Close()
	n.cfg.Logf("tornet: client bootstrapped after %v", time.Since(t0).Round(time.Millisecond))

	for _, name := range n.order {
		if err := n.waitService(ctx, name); err != nil {
			return err
		}
	}
	n.cfg.Logf("tornet: ready after %v (socks %s)", time.Since(t0).Round(time.Millisecond), n.SOCKSAddr())
	return nil
}

// waitService waits until the service's descriptor is uploaded and the
// client has fetched it (which also leaves it in the client's cache).
func (n *Network) waitService(ctx context.Context, name string) error {
	svc := n.services[name]
	rendLog := filepath.Join(svc.node.dir, "rend.log")
	err := poll(ctx, 250*time.Millisecond, func() (bool, error) {
		if err := n.checkAlive(svc.node); err != nil {
			return false, err
		}
		return fileContains(rendLog, "Uploading hidden service descriptor: finished with status 200"), nil
	})
	if err != nil {
		return fmt.Errorf("tornet: descriptor upload of %s: %w (see %s)", name, err, rendLog)
	}
	host, err := os.ReadFile(filepath.Join(svc.node.dir, "hs", "hostname"))
	if err != nil {
		return fmt.Errorf("tornet: onion address of %s: %w", name, err)
	}
	onion := strings.TrimSpace(string(host))
	n.mu.Lock()
	svc.onion = onion
	n.mu.Unlock()
	var last error
	err = poll(ctx, time.Second, func() (bool, error) {
		if err := n.checkAlive(n.client, svc.node); err != nil {
			return false, err
		}
		ctl, err := n.dialControl(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		defer ctl.Close()
		fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		last = ctl.HSFetch(fctx, onion)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("tornet: client cannot fetch the descriptor of %s (%s): %w (last: %v)", name, onion, err, last)
	}
	n.cfg.Logf("tornet: %s is %s", name, onion)
	return nil
}

// SOCKSAddr returns the 127.0.0.1:PORT of the client's SocksPort
// (IsolateSOCKSAuth, ExtendedErrors).
func (n *Network) SOCKSAddr() string { return net.JoinHostPort(host, strconv.Itoa(n.client.socksPort)) }

// ControlAddr returns the 127.0.0.1:PORT of the client's ControlPort.
func (n *Network) ControlAddr() string { return net.JoinHostPort(host, strconv.Itoa(n.client.ctlPort)) }

// ControlCookie returns the path of the client's control cookie file.
func (n *Network) ControlCookie() string { return filepath.Join(n.client.dir, "control_auth_cookie") }

// Control opens an authenticated connection to the client's ControlPort;
// the caller closes it.
func (n *Network) Control(ctx context.Context) (*tor.Control, error) { return n.dialControl(ctx) }

func (n *Network) dialControl(ctx context.Context) (*tor.Control, error) {
	return tor.DialControl(ctx, n.ControlAddr(), n.ControlCookie())
}

// Onion returns the onion address ("xxxx.onion") of the named service, or
// "" if there is no such service.
func (n *Network) Onion(name string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.services[name]; ok {
		return s.onion
	}
	return ""
}

// Backend returns the 127.0.0.1:PORT the named service forwards to.
func (n *Network) Backend(name string) string {
	if s, ok := n.services[name]; ok {
		return s.backend
	}
	return ""
}

// ClientTorrc returns the torrc lines another tor client needs to join this
// network (TestingTorNetwork, the DirAuthority lines, no entry guards, no
// GeoIP), e.g. for a managed tor under test.
func (n *Network) ClientTorrc() []string {
	lines := []string{"TestingTorNetwork 1", "UseEntryGuards 0", "ClientUseIPv6 0", "PathsNeededToBuildCircuits 0.67",
		"GeoIPFile " + filepath.Join(n.dir, "empty"), "GeoIPv6File " + filepath.Join(n.dir, "empty")}
	return append(lines, n.dirAuths...)
}

// Dir returns the directory holding the network's files and logs.
func (n *Network) Dir() string { return n.dir }

// StopService stops the tor process of the named onion service (its
// backend keeps running), as when a site goes offline. Clients with a
// circuit to it may hang until their timeouts; new circuits fail.
func (n *Network) StopService(name string) error {
	s, ok := n.services[name]
	if !ok {
		return fmt.Errorf("tornet: no service %q", name)
	}
	s.node.stop()
	return nil
}

// StartService starts the named onion service again (same onion address)
// and returns once its new descriptor is published and fetched by the
// client.
func (n *Network) StartService(ctx context.Context, name string) error {
	s, ok := n.services[name]
	if !ok {
		return fmt.Errorf("tornet: no service %q", name)
	}
	if s.node.running() {
		return fmt.Errorf("tornet: service %q is running", name)
	}
	rendLog := filepath.Join(s.node.dir, "rend.log")
	os.Rename(rendLog, rendLog+".prev")
	if err := n.startNode(s.node); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	return n.waitService(ctx, name)
}

// Close stops every process and server the network started and, if Start
// made the directory, removes it. It is safe to call more than once.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	var wg sync.WaitGroup
	nodes := append(append([]*node{}, n.auths...), n.client)
	for _, s := range n.services {
		nodes = append(nodes, s.node)
	}
	for _, nd := range nodes {
		if nd == nil {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); nd.stop() }()
	}
	wg.Wait()
	for _, s := range n.servers {
		s.Close()
	}
	if n.ownDir {
		return os.RemoveAll(n.dir)
	}
	return nil
}

// allocPorts returns count ports: consecutive from BasePort, or free ones.
func (n *Network) allocPorts(count int) ([]int, error) {
	ports := make([]int, 0, count)
	if n.cfg.BasePort != 0 {
		for i := 0; i < count; i++ {
			p := n.cfg.BasePort + i
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
			if err != nil {
				return nil, fmt.Errorf("tornet: port %d (BasePort %d) is not free: %w", p, n.cfg.BasePort, err)
			}
			ln.Close()
			ports = append(ports, p)
		}
		return ports, nil
	}
	// Held open together so the kernel hands out distinct ports.
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := 0; i < count; i++ {
		ln, err := net.Listen("tcp", host+":0")
		if err != nil {
			return nil, fmt.Errorf("tornet: free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (n *Network) checkAlive(nodes ...*node) error {
	for _, nd := range nodes {
		if !nd.running() {
			return fmt.Errorf("%s exited: %s", nd.name, lastLines(filepath.Join(nd.dir, "notice.log"), 5))
		}
	}
	return nil
}

// node is one tor process.
type node struct {
	name      string
	dir       string
	orPort    int
	dirPort   int
	socksPort int
	ctlPort   int
	torrc     string
	torrcPath string
	tor       string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

func (n *Network) startNode(nd *node) error {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return errors.New("tornet: network closed")
	}
	out, err := os.OpenFile(filepath.Join(nd.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("tornet: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(n.cfg.Tor, "--defaults-torrc", filepath.Join(n.dir, "empty"), "-f", nd.torrcPath)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("tornet: start %s: %w", nd.name, err)
	}
	nd.cmd = cmd
	nd.exited = make(chan struct{})
	done := nd.exited
	go func() { cmd.Wait(); close(done) }()
	return nil
}

func (nd *node) running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.exited == nil {
		return false
	}
	select {
	case <-nd.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM (tor exits at once with ShutdownWaitLength 0) and
// SIGKILL after 10 s.
func (nd *node) stop() {
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.exited
	nd.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// poll calls cond every interval until it reports true or an error, or ctx
// ends.
func poll(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func countRelays(consensus string) int {
	f, err := os.Open(consensus)
	if err != nil {
		return 0
	}
	defer f.Close()
	c := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "r ") {
			c++
		}
	}
	return c
}

func fileContains(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

func lastLines(path string, k int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > k {
		lines = lines[len(lines)-k:]
	}
	return strings.Join(lines, " | ")
}

func fieldAfter(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(l, prefix))
		}
	}
	return ""
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("tornet: %w", err)
	}
	return nil
}
