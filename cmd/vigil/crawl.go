package main

import (
	"fmt"
	"net/url"

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
		Use:   "crawl [flags] SEED_URL... | crawl pause|resume|stop CRAWL_ID",
		Short: "Start a crawl of the sites of the seed URLs, or pause, resume or stop one",
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
			if err := checkSecretFlags(req); err != nil {
				return err
			}
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
	cmd.Flags().StringVar(&req.CaseID, "case", "", "case ID the crawl belongs to (required except under vigil up --demo; see vigil case)")
	cmd.Flags().StringVar(&req.Cookies, "cookies", "", "NAME of a stored cookies.txt of a logged-in session (vigil secrets add cookies NAME FILE)")
	cmd.Flags().StringVar(&req.Login, "login", "", "NAME of a stored login form recipe (docs/login.md; vigil secrets add login NAME FILE) the crawl logs in with, and again when the session expires")
	cmd.Flags().StringVar(&req.Robots, "robots", "ignore", "robots.txt policy, recorded with the crawl: obey or ignore")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the crawl to end: a live progress bar on a terminal, plain lines otherwise")
	cmd.AddCommand(
		newCrawlControlCmd(vigil.ControlPause, "Pause a running crawl after its current batch"),
		newCrawlControlCmd(vigil.ControlResume, "Resume a paused crawl"),
		newCrawlControlCmd(vigil.ControlStop, "Stop a crawl after its current batch; what it captured stays indexed"),
	)
	return cmd
}

// checkSecretFlags refuses a path given to --login or --cookies: they name
// secrets an admin stored, so that no crawl can make the workers read a
// file of the server.
func checkSecretFlags(req vigil.CrawlRequest) error {
	for flag, name := range map[string]string{"--login": req.Login, "--cookies": req.Cookies} {
		if name == "" {
			continue
		}
		if err := vigil.CheckSecretName(name); err != nil {
			return usagef("%s takes the name of a stored secret (vigil secrets list; an admin adds one with vigil secrets add), not a file: %s", flag, vigil.ErrorMessage(err))
		}
	}
	return nil
}
