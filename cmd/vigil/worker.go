package main

import (
	"github.com/spf13/cobra"
)

func newWorkerCmd() *cobra.Command {
	cfg := config{Shared: true}
	var role string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a Temporal worker of a split deployment: crawling (Tor) and/or processing",
		Long: `worker runs Temporal workers against the cluster named by TEMPORAL_ADDRESS
(required) and runs crawl workflows and the activities of its role:

  --role crawl    StartCrawl and CrawlBatch on the crawl task queue: fetches
                  pages through the Tor SOCKS proxy (--tor-socks or
                  VIGIL_TOR_SOCKS; --direct is lab mode), writes raw captures
                  and crawl state under --data, hashes images in memory.
  --role process  IndexBatch on the processing task queue: extracts findings,
                  writes documents, findings and image hashes to the index and
                  checks images against the watchlists.
  --role all      both (the default).

Any number of workers may run, on any machines, as long as they share the
data directory (--data or VIGIL_DATA; a shared volume) and Temporal: each
opens the crawl state only for short transactions, so a worker killed in the
middle of a batch is replaced by another, which redoes the batch from the
committed frontier.

The processing role writes the index. The embedded index belongs to one
process, so --role process or all needs Elasticsearch (ELASTICSEARCH_URL);
with the embedded index, processing runs inside "vigil serve" and workers
run --role crawl.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.readEnv(cmd); err != nil {
				return err
			}
			switch role {
			case "crawl":
				cfg.Roles = roles{Workflow: true, Crawl: true}
			case "process":
				cfg.Roles = roles{Workflow: true, Process: true}
			case "all", "":
				cfg.Roles = roles{Workflow: true, Crawl: true, Process: true}
			default:
				return usagef("--role %q is not crawl, process or all", role)
			}
			if cfg.Roles.Process && len(cfg.Elastic.URLs) == 0 {
				return usagef("--role %s: %v", role, errEmbeddedProcess)
			}
			return runRoles(cmd.Context(), cfg, cmd.OutOrStdout(), "Vigil worker is up.")
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "all", "what this worker runs: crawl, process or all")
	cfg.registerData(f)
	cfg.registerCrawl(f)
	cfg.registerProcess(f)
	return cmd
}
