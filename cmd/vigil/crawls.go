package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil"
)

// newCrawlsCmd is `vigil crawls`: the most recent crawls and their state.
func newCrawlsCmd() *cobra.Command {
	var (
		server string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "crawls",
		Short: "List recent crawls with their state and progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			var list []vigil.CrawlStatus
			if err := c.do(cmd.Context(), "GET", "/api/crawls", nil, &list); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSONLines(out, list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tPAGES\tQUEUED\tINDEXED\tFINDINGS\tIMAGES\tERRORS\tSTARTED")
			for _, st := range list {
				started := ""
				if !st.StartedAt.IsZero() {
					started = st.StartedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", st.ID, st.State, st.Pages, st.Queued, st.Indexed, st.Findings, st.Images, st.Errors, started)
			}
			return tw.Flush()
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per crawl")
	return cmd
}

// newCrawlControlCmd is `vigil crawl pause|resume|stop ID`.
func newCrawlControlCmd(command, short string) *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   command + " CRAWL_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			path := "/api/crawls/" + url.PathEscape(args[0]) + "/" + command
			if err := c.do(cmd.Context(), "POST", path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "crawl %s: %s sent\n", args[0], command)
			return nil
		},
	}
	addServerFlag(cmd, &server)
	return cmd
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressLine is the plain, one-line account of a crawl that `crawl --wait`
// prints when its output is not a terminal.
func progressLine(st vigil.CrawlStatus) string {
	line := fmt.Sprintf("%s: %s, %d pages fetched, %d queued, %d indexed, %d findings, %d images, %d errors",
		st.ID, st.State, st.Pages, st.Queued, st.Indexed, st.Findings, st.Images, st.Errors)
	if st.Rate > 0 && !st.Done() {
		line += fmt.Sprintf(", %.1f pages/s", st.Rate)
		if st.ETASeconds > 0 {
			line += ", ETA " + (time.Duration(st.ETASeconds) * time.Second).String()
		}
	}
	return line
}

// progressBar renders a crawl as a bar of width cells for a terminal. The
// total is the pages fetched plus those still expected (the smaller of the
// frontier and the page budget left), so it grows as links are found.
func progressBar(st vigil.CrawlStatus, width int) string {
	left := st.Queued
	if st.MaxPages > 0 {
		left = min(left, st.MaxPages-st.Pages)
	}
	total := st.Pages + max(left, 0)
	filled := 0
	if total > 0 {
		filled = min(width, st.Pages*width/total)
	}
	if st.State == vigil.CrawlFinished {
		filled = width
	}
	eta := "--"
	if st.ETASeconds > 0 && !st.Done() {
		eta = (time.Duration(st.ETASeconds) * time.Second).String()
	}
	return fmt.Sprintf("[%s%s] %d/%d pages  %.1f/s  ETA %s  %d indexed  %d findings  %d images  %d errors  %s",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), st.Pages, total, st.Rate, eta,
		st.Indexed, st.Findings, st.Images, st.Errors, st.State)
}

// waitCrawl polls a crawl's status until it ends. On a terminal it redraws a
// progress bar in place; otherwise it prints a plain line whenever the
// status changes. It fails if the crawl ends in any state but finished or
// stopped.
func waitCrawl(ctx context.Context, c *apiClient, id string, out io.Writer) error {
	tty := isTerminal(out)
	last := ""
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var st vigil.CrawlStatus
		if err := c.do(ctx, "GET", "/api/crawls/"+url.PathEscape(id), nil, &st); err != nil {
			return err
		}
		if tty {
			line := progressBar(st, 30)
			if line != last {
				fmt.Fprintf(out, "\r\033[K%s", line)
				last = line
			}
			if st.Done() {
				fmt.Fprintln(out)
			}
		} else if line := progressLine(st); line != last {
			fmt.Fprintln(out, line)
			last = line
		}
		if st.Done() {
			if st.State != vigil.CrawlFinished && st.State != vigil.CrawlStopped {
				return fmt.Errorf("crawl %s %s: %s", id, st.State, st.LastError)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
