package main

import (
	"github.com/spf13/cobra"
)

func newUpCmd() *cobra.Command {
	cfg := config{
		Roles:            roles{Workflow: true, Crawl: true, Process: true, API: true},
		EmbeddedTemporal: true,
	}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run everything on this machine: Temporal, a crawl worker, the index, the API and web page",
		Long: `up runs Vigil on one machine: the embedded Temporal server (or the cluster
named by TEMPORAL_ADDRESS), a crawl worker, the embedded index under --data,
and the API and web page on --listen. It prints its URLs and runs until
interrupted.

Crawls go through the Tor SOCKS proxy named by --tor-socks. Without it, up
starts a managed tor (tor from PATH, data under --data/tor); crawls wait until
it has bootstrapped. --demo starts a private Tor network on 127.0.0.1 instead
and crawls the demo forum and market as onion services. Lab mode (--direct)
reaches loopback sites only, without Tor, and is meant for tests.

up is the one-process form of "vigil worker" and "vigil serve" (the
production roles, deploy/CONFIG.md); it runs the same code and owns its data
directory alone. With ELASTICSEARCH_URL set, the index is Elasticsearch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.readEnv(cmd); err != nil {
				return err
			}
			if cfg.Demo {
				// The demo's onion services are our own, on this machine.
				if !cmd.Flags().Changed("onion-concurrency") {
					cfg.Politeness.OnionConcurrency = 0
				}
				if !cmd.Flags().Changed("onion-delay") {
					cfg.Politeness.OnionDelay = 0
				}
			}
			return runRoles(cmd.Context(), cfg, cmd.OutOrStdout(), "Vigil is up.")
		},
	}
	f := cmd.Flags()
	cfg.registerData(f)
	cfg.registerAPI(f)
	cfg.registerCrawl(f)
	cfg.registerProcess(f)
	f.BoolVar(&cfg.Demo, "demo", false, "start a private Tor network on 127.0.0.1, serve the demo forum and market as onion services and crawl them")
	f.IntVar(&cfg.DemoPages, "demo-pages", 600, "approximate size of the demo site in pages")
	f.IntVar(&cfg.TemporalUI, "temporal-ui-port", 0, "port of the Temporal Web UI (0: any free port; -1: off)")
	return cmd
}
