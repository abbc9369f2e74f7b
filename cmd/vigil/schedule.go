package main

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil"
)

// newScheduleCmd is `vigil schedule create|list|pause|resume|delete`: crawls
// that start on a fixed interval, on Temporal Schedules.
func newScheduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Create, list, pause, resume and delete crawl schedules",
		Long: `schedule manages crawls that start on a fixed interval. Each run is a crawl of
its own (listed by vigil crawls). A run whose time comes while the previous run
is still going is skipped; runs missed while Vigil was down are started late
if they are within the catch-up window.`,
	}
	cmd.AddCommand(newScheduleCreateCmd(), newScheduleListCmd(),
		newScheduleControlCmd(vigil.ControlPause, "Pause a schedule: no new runs until it is resumed"),
		newScheduleControlCmd(vigil.ControlResume, "Resume a paused schedule"),
		newScheduleControlCmd(vigil.ControlDelete, "Delete a schedule; the crawls it started stay"))
	return cmd
}

func newScheduleCreateCmd() *cobra.Command {
	var (
		server string
		req    vigil.ScheduleRequest
	)
	cmd := &cobra.Command{
		Use:   "create --every DURATION [flags] SEED_URL...",
		Short: "Schedule a crawl of the seed URLs' sites every DURATION",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if d, err := time.ParseDuration(req.Every); err != nil || d < time.Second {
				return usagef("--every %q is not a duration of at least 1s (e.g. 6h)", req.Every)
			}
			for _, a := range args {
				if u, err := url.Parse(a); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("seed %q is not an http(s) URL", a)
				}
			}
			if err := checkSecretFlags(req.Crawl); err != nil {
				return err
			}
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			req.Crawl.Seeds = args
			var st vigil.ScheduleStatus
			if err := c.do(cmd.Context(), "POST", "/api/schedules", req, &st); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schedule %s created: every %s, catch-up window %s\n", st.ID, st.Every, st.CatchupWindow)
			return nil
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringVar(&req.Every, "every", "", "interval between runs, e.g. 6h (at least 1s)")
	f.StringVar(&req.CatchupWindow, "catchup-window", "", "how late a run missed while Vigil was down may still start (default 1h, at least 10s)")
	f.StringVar(&req.Note, "note", "", "a note kept with the schedule")
	f.IntVar(&req.Crawl.MaxDepth, "depth", 0, "link depth from the seeds (0: default 5, -1: unlimited)")
	f.IntVar(&req.Crawl.MaxPages, "max-pages", 0, "stop each run after this many pages (0: default 1000)")
	f.StringVar(&req.Crawl.CaseID, "case", "", "case ID the crawls belong to (required except under vigil up --demo; see vigil case)")
	f.StringVar(&req.Crawl.Robots, "robots", "ignore", "robots.txt policy of each run: obey or ignore")
	f.StringVar(&req.Crawl.Login, "login", "", "NAME of a stored login form recipe each run logs in with (vigil secrets list)")
	f.StringVar(&req.Crawl.Cookies, "cookies", "", "NAME of a stored cookies.txt each run sends (vigil secrets list)")
	_ = cmd.MarkFlagRequired("every")
	return cmd
}

func newScheduleListCmd() *cobra.Command {
	var (
		server string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List crawl schedules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			var list []vigil.ScheduleStatus
			if err := c.do(cmd.Context(), "GET", "/api/schedules", nil, &list); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSONLines(out, list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEVERY\tSTATE\tRUNS\tLAST CRAWL\tNEXT RUN\tSEEDS")
			for _, st := range list {
				state, last, next := "active", "", ""
				if st.Paused {
					state = "paused"
				}
				if n := len(st.RecentCrawls); n > 0 {
					last = st.RecentCrawls[n-1]
				}
				if len(st.NextRuns) > 0 && !st.Paused {
					next = st.NextRuns[0].UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", st.ID, st.Every, state, st.Runs, last, next, strings.Join(st.Crawl.Seeds, " "))
			}
			return tw.Flush()
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per schedule")
	return cmd
}

func newScheduleControlCmd(command, short string) *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   command + " SCHEDULE_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			method, path := "POST", "/api/schedules/"+url.PathEscape(args[0])+"/"+command
			if command == vigil.ControlDelete {
				method, path = "DELETE", "/api/schedules/"+url.PathEscape(args[0])
			}
			if err := c.do(cmd.Context(), method, path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schedule %s: %sd\n", args[0], command)
			return nil
		},
	}
	addServerFlag(cmd, &server)
	return cmd
}
