package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/cases"
	"vigil/evidence"
	"vigil/photo/watchlist"
	"vigil/store/crawlstate"
	"vigil/store/elastic"
	"vigil/store/embedded"
)

// casesPath is the case registry of a data directory.
func casesPath(dataDir string) string { return filepath.Join(dataDir, "cases.json") }

// retentionSweep is how often `vigil up` looks for cases whose retention
// has ended.
const retentionSweep = time.Hour

func newCaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Create, list and purge cases (the retention of what crawls capture)",
		Long: `Every crawl and schedule belongs to a case (vigil crawl --case ID). A case has a
retention period: when it ends, vigil up purges everything captured for the
case (documents, findings, image hashes, raw captures, WARC evidence, crawl
state, alerts) and records the purge in the audit log. A case first named by
a crawl is registered with a retention of ` + cases.DefaultRetention + `; create it first to
choose another.`,
	}
	cmd.AddCommand(newCaseCreateCmd(), newCaseListCmd(), newCasePurgeCmd(), newCaseReportCmd())
	return cmd
}

func newCaseCreateCmd() *cobra.Command {
	var (
		server string
		req    vigil.CaseRequest
	)
	cmd := &cobra.Command{
		Use:   "create ID --retention PERIOD [--authority REF]",
		Short: "Register a case with the retention period of its data",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.ID = args[0]
			if err := vigil.ValidCaseID(req.ID); err != nil {
				return usagef("%s", vigil.ErrorMessage(err))
			}
			if _, err := vigil.ParseRetention(req.Retention); err != nil {
				return usagef("--retention: %s", vigil.ErrorMessage(err))
			}
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			var cs vigil.Case
			if err := c.do(cmd.Context(), "POST", "/api/cases", req, &cs); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "case %s created: data kept until %s\n", cs.ID, cs.ExpiresAt.UTC().Format(time.RFC3339))
			return nil
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().StringVar(&req.Retention, "retention", "", "how long the case's data is kept: days (180d) or a duration (720h)")
	cmd.Flags().StringVar(&req.Authority, "authority", "", "legal authority reference (warrant, order)")
	_ = cmd.MarkFlagRequired("retention")
	return cmd
}

func newCaseListCmd() *cobra.Command {
	var (
		server string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cases with their retention",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			var list []vigil.Case
			if err := c.do(cmd.Context(), "GET", "/api/cases", nil, &list); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSONLines(out, list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tRETENTION\tEXPIRES\tPURGED\tAUTHORITY")
			for _, cs := range list {
				purged := ""
				if !cs.PurgedAt.IsZero() {
					purged = cs.PurgedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cs.ID, cs.Retention, cs.ExpiresAt.UTC().Format(time.RFC3339), purged, cs.Authority)
			}
			return tw.Flush()
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per case")
	return cmd
}

func newCasePurgeCmd() *cobra.Command {
	var server, dataDir, caseID, user string
	cmd := &cobra.Command{
		Use:   "purge ID | purge --case ID [--data DIR]",
		Short: "Delete everything captured for a case, now",
		Long: `purge deletes everything of a case: documents, findings, image hashes and raw
captures in the index, WARC files and signed manifests, crawl state (frontier,
seen set, pending captures, content records) and watchlist alerts. It deletes
the case's schedules first and refuses while a crawl of the case runs (it asks
it to stop: purge again once it has ended). The purge is recorded in the audit
log; vigil up does the same on its own when a case's retention ends.

By default purge asks the running server (--server). With --data it works on
the data directory of a stopped vigil up instead.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if caseID != "" && caseID != args[0] {
					return usagef("give the case once: as ID or as --case")
				}
				caseID = args[0]
			}
			if caseID == "" {
				return usagef("the case to purge is required: vigil case purge ID")
			}
			if err := vigil.ValidCaseID(caseID); err != nil {
				return usagef("%s", vigil.ErrorMessage(err))
			}
			var rep vigil.PurgeReport
			if dataDir != "" {
				var err error
				if rep, err = purgeOffline(cmd.Context(), dataDir, caseID, user); err != nil {
					return err
				}
			} else {
				c, err := newAPIClient(server)
				if err != nil {
					return err
				}
				if err := c.do(cmd.Context(), "POST", "/api/cases/"+url.PathEscape(caseID)+"/purge", nil, &rep); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "case %s purged: %d crawls %s\n", caseID, len(rep.Crawls), deletedSummary(rep))
			return nil
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "purge in the data directory of a stopped `vigil up` instead of through the server")
	f.StringVar(&caseID, "case", "", "case ID")
	f.StringVar(&user, "user", envOr("USER", "unknown"), "who purges, for the audit log (with --data; the server records the token's user)")
	return cmd
}

func deletedSummary(rep vigil.PurgeReport) string {
	var parts []string
	for _, k := range []string{"index", "captures", "crawl state", "alerts", "evidence", "schedules"} {
		if n, ok := rep.Deleted[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// The stores wired into cases.Holdings.
var (
	_ cases.CrawlState = (*crawlstate.DB)(nil)
	_ cases.Index      = (*embedded.Store)(nil)
	_ cases.Index      = (*elastic.Store)(nil)
	_ cases.Alerts     = (*watchlist.DB)(nil)
	_ cases.Alerts     = (*watchlist.Shared)(nil)
	_ cases.Evidence   = evidence.Dir("")
	_ cases.Evidence   = evidence.Dirs{}
)

// purgeOffline purges a case in the data directory of a stopped `vigil up`,
// with the same code the server runs.
func purgeOffline(ctx context.Context, dataDir, caseID, user string) (vigil.PurgeReport, error) {
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dataDir, "index")})
	if err != nil {
		return vigil.PurgeReport{}, fmt.Errorf("open the index (is vigil up running? then purge without --data): %w", err)
	}
	defer store.Close()
	state, err := crawlstate.Open(crawlStatePath(dataDir))
	if err != nil {
		return vigil.PurgeReport{}, err
	}
	defer state.Close()
	alerts, err := watchlist.Open(watchlistPath(dataDir))
	if err != nil {
		return vigil.PurgeReport{}, err
	}
	defer alerts.Close()
	auditLog, err := openAudit(dataDir, 0)
	if err != nil {
		return vigil.PurgeReport{}, err
	}
	defer auditLog.Close()
	reg, err := cases.OpenRegistry(casesPath(dataDir))
	if err != nil {
		return vigil.PurgeReport{}, err
	}
	h := cases.Holdings{State: state, Index: store, Alerts: alerts, Evidence: evidenceDirs(dataDir)}
	m := &cases.Manager{Registry: reg, Audit: auditLog, Parts: h.Parts()}
	return m.PurgeCase(ctx, caseID, user)
}

// startCases opens the case registry of the data directory dir, returns the
// case service of the API process (demo: crawls without a case belong to
// "demo") and starts its retention sweeper: at once, then every
// retentionSweep. stop ends the sweeper and waits for a running sweep. The
// crawl state is purged through state, or, when this process holds none
// (vigil serve) and shared is set, through the shared file on the volume;
// otherwise it is left to the crawl workers' volume, and a warning says so.
//
// The sweeper is a ticker in the API process rather than a Temporal
// Schedule because what a purge touches (the index, the alerts, the
// evidence files, the registry) is held or reached by this process: the
// embedded index and the watchlist database are bbolt files that admit one
// process, so a purge activity would have to run here anyway. A sweep is
// idempotent and the registry durable, so a sweep missed while the server
// was down happens at its next start.
func startCases(ctx context.Context, dir string, demo, shared bool, crawls vigil.CrawlService, state *crawlstate.DB, index vigil.Store,
	alerts any, auditLog cases.Auditor, logger *slog.Logger) (m *cases.Manager, stop func(), err error) {
	reg, err := cases.OpenRegistry(casesPath(dir))
	if err != nil {
		return nil, nil, err
	}
	h := cases.Holdings{Evidence: evidenceDirs(dir)}
	var ok bool
	if h.Index, ok = index.(cases.Index); !ok {
		return nil, nil, fmt.Errorf("the index %T cannot purge cases", index)
	}
	if state == nil && shared {
		if state, err = crawlstate.OpenShared(crawlStatePath(dir)); err != nil {
			return nil, nil, err
		}
	}
	if state != nil {
		h.State = state
	} else {
		logger.Warn("this process holds no crawl state: case purges leave it to the crawl workers' volume")
	}
	h.Alerts, _ = alerts.(cases.Alerts)
	m = &cases.Manager{Registry: reg, Audit: auditLog, Crawls: crawls, Logger: logger, Parts: h.Parts()}
	if demo {
		m.DefaultCase = "demo"
	}
	return m, m.StartSweeper(ctx, retentionSweep), nil
}
