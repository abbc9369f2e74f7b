package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"vigil"
)

func newCrawlCmd() *cobra.Command {
	var (
		server string
		req    vigil.CrawlRequest
		wait   bool
	)
	cmd := &cobra.Command{
		Use:   "crawl [flags] SEED_URL...",
		Short: "Start a crawl of the sites of the seed URLs",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if u, err := url.Parse(a); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("seed %q is not an http(s) URL", a)
				}
			}
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			req.Seeds = args
			var st vigil.CrawlStatus
			if err := c.do(cmd.Context(), "POST", "/api/crawls", req, &st); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "crawl %s started\n", st.ID)
			if !wait {
				return nil
			}
			return waitCrawl(cmd.Context(), c, st.ID, cmd.OutOrStdout())
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().IntVar(&req.MaxDepth, "depth", 0, "link depth from the seeds (0: default 5, -1: unlimited)")
	cmd.Flags().IntVar(&req.MaxPages, "max-pages", 0, "stop after this many pages (0: default 1000)")
	cmd.Flags().StringVar(&req.CaseID, "case", "", "case ID the crawl belongs to")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the crawl to end, printing progress")
	return cmd
}

// waitCrawl polls a crawl's status until it ends, printing a line whenever it
// changes. It fails if the crawl ends in any state but finished.
func waitCrawl(ctx context.Context, c *apiClient, id string, out io.Writer) error {
	last := ""
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var st vigil.CrawlStatus
		if err := c.do(ctx, "GET", "/api/crawls/"+url.PathEscape(id), nil, &st); err != nil {
			return err
		}
		line := fmt.Sprintf("%s: %s, %d pages fetched, %d queued, %d indexed, %d findings, %d images, %d errors",
			id, st.State, st.Pages, st.Queued, st.Indexed, st.Findings, st.Images, st.Errors)
		if line != last {
			fmt.Fprintln(out, line)
			last = line
		}
		if st.Done() {
			if st.State != "finished" && st.State != "stopped" {
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
