package main

import (
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	cfg := config{Shared: true}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API and web page of a split deployment (with the embedded index, also processing)",
		Long: `serve runs the API and investigator web page on --listen against the
Temporal cluster named by TEMPORAL_ADDRESS (required) and the index:
Elasticsearch when ELASTICSEARCH_URL is set, else the embedded index under
--data (VIGIL_DATA). Crawls it starts run on "vigil worker" processes.

With the embedded index, serve also runs the processing role (IndexBatch:
extraction, indexing, watchlist checks) in-process, because the embedded
index belongs to one process: start the workers with --role crawl. With
Elasticsearch, processing runs on "vigil worker --role process".

Raw captures, crawl state and watchlists are read from the data directory
that the workers share. A non-loopback --listen requires VIGIL_TOKEN or a
token store (vigil token create).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.readEnv(cmd); err != nil {
				return err
			}
			cfg.Roles = roles{API: true, Process: len(cfg.Elastic.URLs) == 0}
			return runRoles(cmd.Context(), cfg, cmd.OutOrStdout(), "Vigil serve is up.")
		},
	}
	f := cmd.Flags()
	cfg.registerData(f)
	cfg.registerAPI(f)
	cfg.registerProcess(f)
	return cmd
}
