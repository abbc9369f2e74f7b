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
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
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
	root.AddCommand(newEvidenceCmd(), newExportCmd(), newCaseCmd())
	root.AddCommand(newCrawlsCmd(), newScheduleCmd())
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
