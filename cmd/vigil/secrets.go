package main

import (
	"fmt"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"vigil"
)

func newSecretsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Store, list and remove the login recipes, cookie files and credentials crawls name (admin)",
		Long: `secrets manages, through the API, the secret store crawls take their logins
from. Crawls name what they use (vigil crawl --login NAME --cookies NAME); no
crawl request ever names a file of the server. Kinds:

  login       a login form recipe (YAML, docs/login.md); its credentials come
              from {env: VIGIL_LOGIN_NAME} variables of the crawl workers or
              {file: NAME} stored credentials, nothing else
  cookies     a Netscape cookies.txt of a logged-in session
  credential  one credential value (a password), named by recipes

Storing and removing need an admin token (VIGIL_TOKEN); listing, an
investigator's. Content goes in and never comes out; it is kept 0600 under
the server's DATA/secrets (or its --secrets directory).`,
	}
	var server string
	cmd.PersistentFlags().StringVar(&server, "server", envOr("VIGIL_SERVER", "http://127.0.0.1:8080"), "URL of the Vigil API")
	add := &cobra.Command{
		Use:   "add login|cookies|credential NAME FILE",
		Short: "Store FILE as the secret NAME of the kind, replacing one of the same kind and name",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := secretArgs(args[0], args[1])
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[2])
			if err != nil {
				return usagef("read %s: %v", args[2], err)
			}
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			var info vigil.SecretInfo
			if err := c.send(cmd.Context(), "PUT", "/api/secrets/"+string(kind)+"/"+url.PathEscape(args[1]), "application/octet-stream", data, &info); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "stored %s %s (%d bytes)\n", info.Kind, info.Name, info.Size)
			return nil
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List stored secrets: kinds, names, sizes (never their content)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			var infos []vigil.SecretInfo
			if err := c.do(cmd.Context(), "GET", "/api/secrets", nil, &infos); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tNAME\tSIZE\tMODIFIED")
			for _, i := range infos {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", i.Kind, i.Name, i.Size, i.Modified.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	remove := &cobra.Command{
		Use:   "remove login|cookies|credential NAME",
		Short: "Remove a stored secret",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := secretArgs(args[0], args[1])
			if err != nil {
				return err
			}
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			if err := c.do(cmd.Context(), "DELETE", "/api/secrets/"+string(kind)+"/"+url.PathEscape(args[1]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s %s\n", kind, args[1])
			return nil
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

// secretArgs checks a kind and a name given on the command line.
func secretArgs(kind, name string) (vigil.SecretKind, error) {
	k, err := vigil.ParseSecretKind(kind)
	if err != nil {
		return "", usageError{err}
	}
	if err := vigil.CheckSecretName(name); err != nil {
		return "", usageError{err}
	}
	return k, nil
}
