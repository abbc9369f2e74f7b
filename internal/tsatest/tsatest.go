// Package tsatest runs a real RFC 3161 Time-Stamping Authority on
// 127.0.0.1 for tests: an HTTP handler hands each request to Debian's
// `openssl ts -reply`, which signs with a TSA certificate issued by a test
// CA that openssl made in a temporary directory.
package tsatest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TSA is a running test Time-Stamping Authority.
type TSA struct {
	// URL is the endpoint that takes application/timestamp-query POSTs.
	URL string
	// CAFile is the PEM certificate of the CA that issued the TSA's
	// certificate: the trust file of `evidence verify --tsa-ca`.
	CAFile string
	// Dir holds the CA, the TSA key and certificate and openssl's config.
	Dir string
	// Requests counts the requests answered with a token.
	Requests atomic.Int64
	// WrongImprint, when set, makes the TSA stamp the SHA-256 of other
	// data than it was asked to (a lying or broken TSA).
	WrongImprint atomic.Bool

	mu sync.Mutex // openssl ts -reply updates the serial file
}

// openssl runs openssl with args in dir and fails t with its output.
func openssl(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// NewCA makes a CA (ca.pem, ca.key) in dir named cn and returns the path
// of its certificate.
func NewCA(t testing.TB, dir, cn string) string {
	t.Helper()
	openssl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", "/CN="+cn,
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	return filepath.Join(dir, "ca.pem")
}

const tsaConfig = `[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = %s
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`

// Start makes a test CA and a TSA certificate it issues (critical extended
// key usage timeStamping), and serves the TSA on 127.0.0.1 until t ends.
func Start(t testing.TB) *TSA {
	t.Helper()
	dir := t.TempDir()
	ca := NewCA(t, dir, "Vigil Test TSA Root")
	openssl(t, dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=Vigil Test TSA")
	ext := "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n"
	for name, data := range map[string]string{"tsa.ext": ext, "tsaserial": "01\n", "tsa.cnf": fmt.Sprintf(tsaConfig, dir), "other": "not what was asked"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	openssl(t, dir, "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
		"-out", "tsa.pem", "-days", "3650", "-extfile", "tsa.ext")
	tsa := &TSA{CAFile: ca, Dir: dir}
	srv := httptest.NewServer(http.HandlerFunc(tsa.serve))
	t.Cleanup(srv.Close)
	tsa.URL = srv.URL + "/tsr"
	return tsa
}

// serve answers one timestamp query with openssl's reply.
func (tsa *TSA) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "want a POST of application/timestamp-query", http.StatusBadRequest)
		return
	}
	query, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tsa.mu.Lock()
	defer tsa.mu.Unlock()
	q, out := filepath.Join(tsa.Dir, "q.tsq"), filepath.Join(tsa.Dir, "r.tsr")
	if err := os.WriteFile(q, query, 0o600); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if tsa.WrongImprint.Load() {
		cmd := exec.Command("openssl", "ts", "-query", "-data", filepath.Join(tsa.Dir, "other"), "-sha256", "-cert", "-out", q)
		if b, err := cmd.CombinedOutput(); err != nil {
			http.Error(w, string(b), http.StatusInternalServerError)
			return
		}
	}
	cmd := exec.Command("openssl", "ts", "-reply", "-config", filepath.Join(tsa.Dir, "tsa.cnf"), "-queryfile", q, "-out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		http.Error(w, "openssl ts -reply: "+err.Error()+": "+stderr.String(), http.StatusInternalServerError)
		return
	}
	reply, err := os.ReadFile(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	tsa.Requests.Add(1)
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(reply)
}
