// Command vigil is Vigil's one binary: the all-in-one server (`vigil up`), the
// investigator's CLI (crawl, search) that talks to its API, and offline tools
// (hash, extract).
//
// Exit codes: 0 success, 1 failure (one line on stderr says why), 2 bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	sdkclient "go.temporal.io/sdk/client"

	"vigil"
	"vigil/activities"
	"vigil/cases"
	"vigil/cases/audit"
	"vigil/crawler"
	"vigil/store/crawlstate"
	"vigil/web"
	"vigil/workflows/crawlclient"
)

// usageError marks errors that exit with status 2.
type usageError struct{ error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the exit code.
func run(ctx context.Context, args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "vigil: "+oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return 2
	}
	return 1
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Vigil crawls dark-web and open sites through Tor into a searchable index for investigations",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newUpCmd(), newWorkerCmd(), newServeCmd(), newCrawlCmd(), newSearchCmd(), newHashCmd(), newExtractCmd(), newTokenCmd(), newAuditCmd(), newMatchCmd(), newWatchlistCmd(), newAlertsCmd())
	root.AddCommand(newEvidenceCmd(), newExportCmd(), newCaseCmd(), newMaintenanceCmd())
	root.AddCommand(newCrawlsCmd(), newScheduleCmd(), newSecretsCmd())
	return root
}

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand", "invalid argument"} {
		if strings.Contains(err.Error(), p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// Main is one vigil process: the roles of its Config wired to Temporal, the
// index, the shared state on the data volume, the Temporal workers and the
// API. Open starts it, Run waits until it is asked to stop, Close stops
// what Open started, in reverse order. `vigil up`, `vigil worker` and
// `vigil serve` each run one (runRoles); tests boot one in-process.
type Main struct {
	// Config is read once, by the command, and copied onto the components
	// by Open.
	Config config
	// Out receives the banner: what runs, and where.
	Out    io.Writer
	Banner string
	Logger *slog.Logger

	dir     string         // the data directory, absolute
	closers []func() error // what Close undoes, in the order Open did it

	store    vigil.Store
	captures vigil.CaptureStore
	index    string // the index, for the banner

	temporal        sdkclient.Client
	hostPort, uiURL string

	state   *crawlstate.DB
	audit   *audit.Log
	secrets *crawler.Secrets
	lists   watchlists
	tokens  *web.Tokens
	// loopback is whether the API listens on a loopback address only.
	loopback bool

	acts     *activities.Activities
	tn       *torNet
	identity string // of the Temporal workers

	crawls   *crawlclient.Service
	cases    *cases.Manager
	ln       net.Listener
	serveErr chan error
}

// NewMain returns the Main of cfg, logging to stderr, with the banner
// printed to out.
func NewMain(cfg config, out io.Writer, banner string) *Main {
	return &Main{
		Config: cfg,
		Out:    out,
		Banner: banner,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// runRoles runs the Main of cfg until ctx is done and stops it.
func runRoles(ctx context.Context, cfg config, out io.Writer, banner string) error {
	m := NewMain(cfg, out, banner)
	err := m.Open(ctx)
	if err == nil {
		err = m.Run(ctx)
	}
	return errors.Join(err, m.Close())
}

// Open checks the configuration and starts what the roles need, one step
// after another: the index, Temporal, the shared state, the activities, the
// Temporal workers and the API; then it prints the banner and, with --demo,
// starts the demo crawl. A configuration error is a usageError. After an
// error, Close stops what was started.
func (m *Main) Open(ctx context.Context) error {
	if err := m.checkConfig(); err != nil {
		return err
	}
	for _, step := range []func(context.Context) error{
		m.openIndex, m.startTemporal, m.openSharedState, m.buildActivities, m.startWorkers, m.startAPI,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	m.printBanner()
	if m.Config.Demo {
		if err := m.startDemo(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintln(m.Out, "Press Ctrl-C to stop.")
	return nil
}

// Run waits until ctx is done (nil) or the API server fails.
func (m *Main) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down")
		return nil
	case err := <-m.serveErr: // nil without an API: never ready
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("API server: %w", err)
	}
}

// Close stops what Open started, last first, and returns the errors of
// closing. Calling it again does nothing.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// atClose registers fn to be undone by Close.
func (m *Main) atClose(fn func() error) { m.closers = append(m.closers, fn) }

// URL is the address of the API and web page, "" without the API role.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.ln.Addr().String() + "/"
}
