// Package pycheck runs, for tests, the independent checkers of the
// project-local Python environment (.venv at the module root, made by `make
// pyenv` from requirements-test.txt) on what Vigil writes: Webrecorder's
// warcio on WARC files and the OASIS stix2-validator on STIX bundles. Their
// code shares nothing with Vigil's writers and readers, so a file they
// accept is readable by the tools a defence expert would use.
package pycheck

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// timeout bounds one run of a checker.
const timeout = 5 * time.Minute

// Bin returns the path of the program name in the project's .venv/bin,
// found by walking up from the working directory to the module root (the
// directory whose go.mod declares module vigil). Its error says to run
// `make pyenv` when the program is not installed.
func Bin(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("pycheck: %w", err)
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte("module vigil\n")) {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pycheck: no go.mod of module vigil above the working directory")
		}
		dir = parent
	}
	bin := filepath.Join(dir, ".venv", "bin", name)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("pycheck: %s is not installed (%v): run `make pyenv` (requirements-test.txt)", name, err)
	}
	return bin, nil
}

// run runs the program name of the virtual environment with args and
// returns its combined output; a non-zero exit is an error holding the
// output.
func run(name string, args ...string) (string, error) {
	bin, err := Bin(name)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = os.TempDir() // the checkers write nothing beside the files they read
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// WARC checks the WARC file at path with warcio: `warcio check -v` must
// exit 0 with every record's digests present and passing, and `warcio
// index` must list every record. It returns the number of records warcio
// read; the error carries warcio's output.
func WARC(path string) (int, error) {
	out, err := run("warcio", "check", "-v", path)
	if err != nil {
		return 0, err
	}
	checked := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "offset "):
			checked++
		case line == "digest pass":
		case line == path, line == "":
		default:
			return 0, fmt.Errorf("warcio check %s: %q is not a passing digest\n%s", path, line, out)
		}
	}
	idx, err := run("warcio", "index", "-f", "warc-type,warc-target-uri,offset", path)
	if err != nil {
		return 0, err
	}
	if n := strings.Count(idx, "\n"); n != checked {
		return 0, fmt.Errorf("warcio index %s lists %d records, warcio check read %d\n%s", path, n, checked, idx)
	}
	if checked == 0 {
		return 0, fmt.Errorf("warcio read no record of %s", path)
	}
	return checked, nil
}

// STIXIgnored are the stix2-validator best-practice checks STIX runs
// without, each a deliberate choice of the export (docs/evidence.md):
//
//   - 103 (uuid_version_check): SDO and SRO IDs are UUIDv5 of their content,
//     not v4, so that exporting a case again updates a partner's copy
//     instead of duplicating it; the custom observables' IDs are v5 as the
//     specification asks of observables, which the validator, not knowing
//     them, checks as objects.
//   - 202 (relationships_strict): indicators are based-on the observables
//     they match; the specification permits it, its list of suggested
//     targets does not name observables.
//   - 244 (vocab_account_type): messenger accounts (telegram, wickr, ...)
//     are values of an open vocabulary that does not list them.
//   - 401 (extensions_use): the custom observables (x-phone-number,
//     x-cryptocurrency-wallet, x-pgp-fingerprint) and the x_vigil_
//     properties are STIX 2.1 custom objects and properties, not
//     extension definitions.
//
// Every other warning fails the check (--strict).
const STIXIgnored = "103,202,244,401"

// STIX checks the STIX 2.1 bundle at path with the OASIS stix2-validator:
// it must be valid with no warning but the STIXIgnored ones. The error
// carries the validator's output.
func STIX(path string) error {
	out, err := run("stix2_validator", "--version", "2.1", "--strict", "--no-cache", "--disable", STIXIgnored, path)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "STIX JSON: Valid") {
		return fmt.Errorf("stix2_validator did not find %s valid:\n%s", path, out)
	}
	return nil
}
