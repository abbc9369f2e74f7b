package main

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil/web"
)

// tokenPath is where `vigil up --data DIR` keeps its token store.
func tokenPath(dataDir string) string { return filepath.Join(dataDir, "tokens.json") }

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (stored hashed in the data directory)",
		Long: `token manages the API tokens of the server whose data directory is --data.
Tokens are stored as SHA-256 hashes; a new token is printed once. A running
server accepts new tokens at once. Roles, lowest first: viewer (search, read),
investigator (+ crawl control, raw captures), analyst (+ photo match,
watchlists, alerts), admin (+ audit log, tokens).`,
	}
	var dataDir string
	cmd.PersistentFlags().StringVar(&dataDir, "data", "vigil-data", "data directory of the server")

	var name, role string
	var expires time.Duration
	create := &cobra.Command{
		Use:   "create --role ROLE [--name NAME] [--expires 720h]",
		Short: "Create a token and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := web.ParseRole(role)
			if err != nil {
				return usageError{err}
			}
			if expires < 0 {
				return usagef("--expires must not be negative")
			}
			ts, err := web.OpenTokens(tokenPath(dataDir))
			if err != nil {
				return err
			}
			token, rec, err := ts.Create(name, r, expires)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			until := "never expires"
			if !rec.ExpiresAt.IsZero() {
				until = "expires " + rec.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %q (role %s, %s): shown once, keep it safe; use it as VIGIL_TOKEN\n", rec.Name, rec.Role, until)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "viewer, investigator, analyst or admin (required)")
	create.Flags().StringVar(&name, "name", "", "name of the token, recorded as the user in the audit log (default: token-HASHPREFIX)")
	create.Flags().DurationVar(&expires, "expires", web.DefaultTokenTTL, "validity (0: never expires)")
	create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (names, roles, expiry; never the tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := web.OpenTokens(tokenPath(dataDir))
			if err != nil {
				return err
			}
			recs, err := ts.List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tEXPIRES")
			now := time.Now()
			for _, r := range recs {
				exp := "never"
				if !r.ExpiresAt.IsZero() {
					exp = r.ExpiresAt.Format(time.RFC3339)
					if r.Expired(now) {
						exp += " (expired)"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Role, r.CreatedAt.Format(time.RFC3339), exp)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := web.OpenTokens(tokenPath(dataDir))
			if err != nil {
				return err
			}
			return ts.Revoke(args[0])
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
