package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"vigil/cases/audit"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the hash-chained audit log",
	}
	var dataDir string
	verify := &cobra.Command{
		Use:   "verify [--data DIR]",
		Short: "Verify the audit log's hash chain; exit 1 naming the first broken line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := filepath.Join(dataDir, "audit.log")
			n, err := audit.Verify(path)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit log %s: %d entries, chain intact\n", path, n)
			return nil
		},
	}
	verify.Flags().StringVar(&dataDir, "data", "vigil-data", "data directory of the server")
	cmd.AddCommand(verify)
	return cmd
}
