package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/cases/audit"
	"vigil/evidence"
)

// auditPath is the audit log of a data directory; its signed checkpoints
// are beside it (audit.CheckpointPath).
func auditPath(dataDir string) string { return filepath.Join(dataDir, "audit.log") }

// openAudit opens the audit log of dataDir with signed checkpoints every
// `every` entries (0: the default), signed with the evidence key (created
// on first use, like the crawl role does).
func openAudit(dataDir string, every int) (*audit.Log, error) {
	key, err := evidence.LoadOrCreateKey(evidenceKeyPath(dataDir))
	if err != nil {
		return nil, err
	}
	return audit.OpenSigned(auditPath(dataDir), audit.Options{Key: key, Every: every})
}

// latestCheckpoint returns a function reading the latest signed checkpoint
// of the audit log at path, nil when there is none or it cannot be read,
// for the evidence manifests to mirror.
func latestCheckpoint(path string) func() *vigil.AuditCheckpoint {
	return func() *vigil.AuditCheckpoint {
		c, ok, err := audit.LastCheckpoint(path)
		if err != nil || !ok {
			return nil
		}
		return &c
	}
}

// mirroredCheckpoints returns the audit checkpoints that the evidence
// manifests under dataDir carry.
func mirroredCheckpoints(dataDir string) []vigil.AuditCheckpoint {
	var out []vigil.AuditCheckpoint
	ents, _ := os.ReadDir(evidenceDir(dataDir))
	for _, e := range ents {
		m, _, err := evidence.ReadManifest(filepath.Join(evidenceDir(dataDir), e.Name()))
		if err == nil && m.AuditCheckpoint != nil {
			out = append(out, *m.AuditCheckpoint)
		}
	}
	return out
}

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the hash-chained, checkpointed audit log",
	}
	var dataDir, pubPath string
	verify := &cobra.Command{
		Use:   "verify [--data DIR] [--pubkey FILE]",
		Short: "Verify the audit log's hash chain and signed checkpoints; exit 1 saying what is wrong",
		Long: `verify checks DATA/audit.log: its hash chain (an edited, inserted or removed
line breaks it), and its signed checkpoints (DATA/audit.log.checkpoints, and
the copies that evidence manifests carry): each must be signed by the
server's evidence key and name an entry count the log reaches and the hash
the log has there, so a deleted tail, a truncated file or a file rewritten
whole with fresh hashes is caught by anyone without the key.

The key is the public part of DATA/keys/evidence.key unless --pubkey names
the exported one (vigil evidence pubkey), which pins it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := auditPath(dataDir)
			if _, err := audit.Verify(path); err != nil {
				return fmt.Errorf("%s: %w", path, err) // the chain first: it needs no key
			}
			pub, err := auditKey(dataDir, pubPath)
			if err != nil {
				return err
			}
			res, err := audit.VerifySigned(path, pub, mirroredCheckpoints(dataDir))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit log %s: %d entries, chain intact; %d signed checkpoints and %d mirrored in evidence manifests agree, the latest of %s vouches for %d entries (%d after it)\n",
				path, res.Entries, res.Checkpoints, res.Mirrored, res.Last.Time.Format(time.RFC3339), res.Last.Entries, res.Unvouched)
			return nil
		},
	}
	verify.Flags().StringVar(&dataDir, "data", "vigil-data", "data directory of the server")
	verify.Flags().StringVar(&pubPath, "pubkey", "", "PEM Ed25519 public key the checkpoints must be signed with (default: DATA/keys/evidence.key's)")
	cmd.AddCommand(verify)
	return cmd
}

// auditKey returns the public key of --pubkey, else of the data
// directory's evidence key.
func auditKey(dataDir, pubPath string) (ed25519.PublicKey, error) {
	if pubPath != "" {
		raw, err := os.ReadFile(pubPath)
		if err != nil {
			return nil, usagef("--pubkey: %v", err)
		}
		pub, err := evidence.ParsePublicKeyPEM(raw)
		if err != nil {
			return nil, usagef("--pubkey %s: %v", pubPath, err)
		}
		return pub, nil
	}
	path := evidenceKeyPath(dataDir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no evidence key at %s to check the checkpoints with: pass --pubkey", path)
	}
	key, err := evidence.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	return key.Public().(ed25519.PublicKey), nil
}
