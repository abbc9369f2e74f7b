// Package torproc runs a managed tor for `vigil up`: tor from PATH as a child
// process with its own DataDirectory, a SocksPort on a free loopback port
// (IsolateSOCKSAuth, ExtendedErrors), a cookie-authenticated ControlPort,
// ClientRejectInternalAddresses on (whatever extra lines say), and a watcher
// that reports bootstrap progress. The child is stopped by Close,
// and by tor itself if this process dies (__OwningControllerProcess).
package torproc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"vigil/crawler/tor"
)

// Config configures Start. DataDir is required; every other zero value
// works.
type Config struct {
	// DataDir is tor's DataDirectory (created, mode 0700), e.g. the "tor"
	// directory under Vigil's data directory. Logs go to DataDir/notice.log.
	DataDir string
	// Tor is the tor binary; "" means "tor" from PATH (or /usr/sbin/tor).
	Tor string
	// Torrc holds extra torrc lines, e.g. the TestingTorNetwork and
	// DirAuthority lines of a private network (tests). Empty means the
	// public Tor network.
	Torrc []string
	// StartTimeout bounds waiting for tor's ports; zero means 60s.
	StartTimeout time.Duration
	// PollInterval is how often bootstrap progress is read; zero means 1s.
	PollInterval time.Duration
	// Logger receives bootstrap progress; nil means slog.Default().
	Logger *slog.Logger
}

// Tor is a running managed tor. Its methods are safe for concurrent use.
type Tor struct {
	cfg     Config
	cmd     *exec.Cmd
	exited  chan struct{}
	socks   string
	control string
	cookie  string
	stop    context.CancelFunc
	watched chan struct{}

	mu      sync.Mutex
	status  tor.Bootstrap
	err     error // why the status is unknown, if it is
	closing bool
}

// Start launches tor and returns once its SocksPort and ControlPort listen
// (not once it has bootstrapped: see Status and WaitBootstrap). It fails if
// tor cannot be found, exits, or does not open its ports in time.
func Start(ctx context.Context, cfg Config) (*Tor, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("torproc: no data directory")
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	bin, err := FindTor(cfg.Tor)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("torproc: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("torproc: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("torproc: %w", err)
	}
	portsFile := filepath.Join(dir, "control-port")
	os.Remove(portsFile)
	empty := filepath.Join(dir, "empty-defaults")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		return nil, fmt.Errorf("torproc: %w", err)
	}
	torrc := []string{
		"# written by vigil (torproc); rewritten at every start",
		"DataDirectory " + dir,
		"RunAsDaemon 0",
		fmt.Sprintf("__OwningControllerProcess %d", os.Getpid()),
		"Log notice file " + filepath.Join(dir, "notice.log"),
		// Free ports, chosen by tor and read back over the control port.
		"SocksPort 127.0.0.1:auto IsolateSOCKSAuth ExtendedErrors",
		"ControlPort 127.0.0.1:auto",
		"ControlPortWriteToFile " + portsFile,
		"CookieAuthentication 1",
		"ClientOnly 1",
		"ShutdownWaitLength 0",
	}
	torrc = append(torrc, cfg.Torrc...)
	// Last, so that no extra line and no TestingTorNetwork default undoes
	// them: tor refuses SOCKS requests for internal addresses (a seed of
	// http://127.0.0.1:PORT never reaches a local service through tor) and
	// answers that resolve to one.
	torrc = append(torrc, "ClientRejectInternalAddresses 1", "ClientDNSRejectInternalAddresses 1")
	torrcPath := filepath.Join(dir, "torrc")
	if err := os.WriteFile(torrcPath, []byte(strings.Join(torrc, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("torproc: %w", err)
	}
	out, err := os.OpenFile(filepath.Join(dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("torproc: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "--defaults-torrc", empty, "-f", torrcPath)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("torproc: start %s: %w", bin, err)
	}
	t := &Tor{cfg: cfg, cmd: cmd, exited: make(chan struct{}), cookie: filepath.Join(dir, "control_auth_cookie"), watched: make(chan struct{})}
	go func() { cmd.Wait(); close(t.exited) }()

	if err := t.findPorts(ctx, portsFile); err != nil {
		t.kill()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	t.stop = cancel
	go t.watch(wctx)
	return t, nil
}

// FindTor returns the path of the tor binary: given, if not "", else "tor"
// from PATH or /usr/sbin/tor (Debian's location, not always on PATH).
func FindTor(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p, err := exec.LookPath("tor"); err == nil {
		return p, nil
	}
	if st, err := os.Stat("/usr/sbin/tor"); err == nil && !st.IsDir() {
		return "/usr/sbin/tor", nil
	}
	return "", errors.New("torproc: tor not found in PATH (install it: apt-get install -y tor, or `make deps`; or pass --tor-socks ADDR)")
}

// findPorts waits for tor's control port file, then asks tor for its SOCKS
// listener.
func (t *Tor) findPorts(ctx context.Context, portsFile string) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.StartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.exited:
			return fmt.Errorf("torproc: tor exited at start: %s", t.logTail())
		case <-ctx.Done():
			return fmt.Errorf("torproc: tor opened no control port: %w (%s)", ctx.Err(), t.logTail())
		case <-tick.C:
		}
		b, err := os.ReadFile(portsFile)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			continue
		}
		addr := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(b)), "PORT="))
		ctl, err := tor.DialControl(ctx, addr, t.cookie)
		if err != nil {
			continue
		}
		info, err := ctl.GetInfo(ctx, "net/listeners/socks")
		ctl.Close()
		if err != nil {
			return fmt.Errorf("torproc: %w", err)
		}
		socks := strings.Trim(strings.Fields(info["net/listeners/socks"] + " ")[0], `"`)
		if _, _, err := net.SplitHostPort(socks); err != nil {
			return fmt.Errorf("torproc: tor reports no SOCKS listener (%q)", info["net/listeners/socks"])
		}
		t.control, t.socks = addr, socks
		return nil
	}
}

// watch polls the bootstrap phase until ctx ends, logging every change.
func (t *Tor) watch(ctx context.Context) {
	defer close(t.watched)
	var ctl *tor.Control
	defer func() {
		if ctl != nil {
			ctl.Close()
		}
	}()
	last := -1
	tick := time.NewTicker(t.cfg.PollInterval)
	defer tick.Stop()
	for {
		var b tor.Bootstrap
		err := func() error {
			if ctl == nil {
				c, err := tor.DialControl(ctx, t.control, t.cookie)
				if err != nil {
					return err
				}
				ctl = c
			}
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var err error
			b, err = ctl.Bootstrap(qctx)
			if err != nil {
				ctl.Close()
				ctl = nil
			}
			return err
		}()
		select {
		case <-t.exited:
			err = fmt.Errorf("tor exited: %s", t.logTail())
		default:
		}
		t.mu.Lock()
		if err == nil {
			t.status, t.err = b, nil
		} else if !t.closing {
			t.err = err
		}
		t.mu.Unlock()
		if err == nil && b.Progress != last {
			last = b.Progress
			t.cfg.Logger.Info("managed tor bootstrap", "progress", b.Progress, "tag", b.Tag, "summary", b.Summary, "warning", b.Warning)
		}
		if err != nil && ctx.Err() == nil {
			select {
			case <-t.exited:
				t.cfg.Logger.Error("managed tor exited", "error", err)
				return
			default:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// SOCKSAddr returns tor's SocksPort, 127.0.0.1:PORT.
func (t *Tor) SOCKSAddr() string { return t.socks }

// ControlAddr returns tor's ControlPort, 127.0.0.1:PORT.
func (t *Tor) ControlAddr() string { return t.control }

// CookieFile returns the path of the control port's authentication cookie.
func (t *Tor) CookieFile() string { return t.cookie }

// A managed tor is what a tor.Gate waits for.
var _ tor.BootstrapStatus = (*Tor)(nil)

// Status returns the last bootstrap state read from tor, and an error if
// tor could not be asked (it exited, or its control port does not answer).
func (t *Tor) Status() (tor.Bootstrap, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status, t.err
}

// WaitBootstrap returns nil once tor reports 100 %, or an error when tor
// exits or ctx ends first.
func (t *Tor) WaitBootstrap(ctx context.Context) error {
	tick := time.NewTicker(t.cfg.PollInterval / 2)
	defer tick.Stop()
	for {
		b, _ := t.Status()
		if b.Done() {
			return nil
		}
		select {
		case <-t.exited:
			return fmt.Errorf("torproc: tor exited: %s", t.logTail())
		case <-ctx.Done():
			return fmt.Errorf("torproc: tor at %d%% (%s): %w", b.Progress, b.Summary, ctx.Err())
		case <-tick.C:
		}
	}
}

// Close stops tor (SIGTERM, SIGKILL after 10 s) and waits for it to exit.
func (t *Tor) Close() error {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	if t.stop != nil {
		t.stop()
		<-t.watched
	}
	t.kill()
	return nil
}

func (t *Tor) kill() {
	select {
	case <-t.exited:
		return
	default:
	}
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		t.cmd.Process.Kill()
		<-t.exited
	}
}

// Running reports whether the tor process is still alive.
func (t *Tor) Running() bool {
	select {
	case <-t.exited:
		return false
	default:
		return true
	}
}

func (t *Tor) logTail() string {
	b, err := os.ReadFile(filepath.Join(t.cfg.DataDir, "notice.log"))
	if err != nil {
		b, _ = os.ReadFile(filepath.Join(t.cfg.DataDir, "stdout.log"))
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}
