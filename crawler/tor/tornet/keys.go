package tornet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Key files kept in Config.KeyCache, per authority.
var (
	relayKeyFiles = []string{"secret_id_key", "ed25519_master_id_secret_key", "ed25519_master_id_public_key"}
	authKeyFiles  = []string{"authority_identity_key", "authority_signing_key"}
)

// genKeys creates (or copies from the cache) every authority's keys and
// certificate, in parallel: v3 authority keys with tor-gencert, relay
// identity keys with tor --list-fingerprint (which also writes the
// fingerprint file).
func (n *Network) genKeys(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cache := n.cfg.KeyCache
	if cache != "" {
		if err := os.MkdirAll(cache, 0o700); err != nil {
			return fmt.Errorf("tornet: key cache: %w", err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*len(n.auths))
	for i, a := range n.auths {
		keys := filepath.Join(a.dir, "keys")
		cached := cache != "" && copyFiles(filepath.Join(cache, a.name), keys, append(authKeyFiles, relayKeyFiles...)) == nil
		wg.Add(2)
		go func() {
			defer wg.Done()
			args := []string{"--create-identity-key"}
			if cached {
				args = []string{"--reuse"}
			}
			args = append(args, "--passphrase-fd", "0", "-m", "12",
				"-a", host+":"+strconv.Itoa(a.dirPort),
				"-i", filepath.Join(keys, "authority_identity_key"),
				"-s", filepath.Join(keys, "authority_signing_key"),
				"-c", filepath.Join(keys, "authority_certificate"))
			cmd := exec.CommandContext(ctx, n.cfg.TorGencert, args...)
			cmd.Stdin = strings.NewReader("\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[2*i] = fmt.Errorf("tornet: tor-gencert for %s: %w: %s", a.name, err, out)
			}
		}()
		go func() {
			defer wg.Done()
			empty := filepath.Join(n.dir, "empty")
			cmd := exec.CommandContext(ctx, n.cfg.Tor, "--defaults-torrc", empty, "-f", empty,
				"--DataDirectory", a.dir, "--ORPort", "1", "--Nickname", "tn"+a.name, "--list-fingerprint")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[2*i+1] = fmt.Errorf("tornet: tor --list-fingerprint for %s: %w: %s", a.name, err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if cache == "" {
		return nil
	}
	// Remember new keys: copy, then rename, so no reader sees a torn set.
	for _, a := range n.auths {
		dst := filepath.Join(cache, a.name)
		if _, err := os.Stat(filepath.Join(dst, authKeyFiles[1])); err == nil {
			continue
		}
		tmp, err := os.MkdirTemp(cache, a.name+".tmp")
		if err != nil {
			return fmt.Errorf("tornet: key cache: %w", err)
		}
		if err := copyFiles(filepath.Join(a.dir, "keys"), tmp, append(authKeyFiles, relayKeyFiles...)); err != nil {
			os.RemoveAll(tmp)
			return err
		}
		if err := os.Rename(tmp, dst); err != nil {
			// Another network cached its keys first; either set is fine.
			os.RemoveAll(tmp)
		}
	}
	return nil
}

// copyFiles copies the named files from src to dst; it fails if any is
// missing.
func copyFiles(src, dst string, names []string) error {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return fmt.Errorf("tornet: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o600); err != nil {
			return fmt.Errorf("tornet: %w", err)
		}
	}
	return nil
}
