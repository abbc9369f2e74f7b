package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// TimestampName is the file, beside a manifest's signature, holding the
// RFC 3161 timestamp token (DER) of that signature: its message imprint is
// the SHA-256 of the signature's 64 raw bytes (manifest.json.sig decoded
// from base64).
const TimestampName = "manifest.json.sig.tst"

// A Timestamper obtains an RFC 3161 timestamp token for a signature.
type Timestamper interface {
	// Timestamp returns the DER TimeStampToken whose message imprint is
	// the SHA-256 of sig.
	Timestamp(ctx context.Context, sig []byte) ([]byte, error)
}

// TSAClient asks a Time-Stamping Authority for tokens over HTTP
// (RFC 3161 §3.4). Its zero value needs URL. It is safe for concurrent use.
type TSAClient struct {
	// URL is the TSA's endpoint, e.g. http://timestamp.example/tsr.
	URL string
	// Transport carries the requests: a Tor transport when the deployment
	// sends them through Tor; nil means a direct connection without any
	// proxy of the environment.
	Transport http.RoundTripper
	// Timeout bounds one request; 0 means 30 seconds.
	Timeout time.Duration
}

var _ Timestamper = (*TSAClient)(nil)

// maxTSAReply bounds the reply read from a TSA.
const maxTSAReply = 1 << 20

// Timestamp sends a request for sig's SHA-256 with a random nonce, asking
// for the TSA's certificates, and returns the token of a granted reply once
// its signature, imprint and nonce check out.
func (c *TSAClient) Timestamp(ctx context.Context, sig []byte) ([]byte, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("evidence: timestamp nonce: %w", err)
	}
	req, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("evidence: timestamp request: %w", err)
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("evidence: timestamp request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	rt := c.Transport
	if rt == nil {
		rt = &http.Transport{Proxy: nil}
	}
	resp, err := (&http.Client{Transport: rt}).Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("evidence: ask the TSA: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAReply))
	if err != nil {
		return nil, fmt.Errorf("evidence: read the TSA's reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("evidence: the TSA answered %s", resp.Status)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("evidence: the TSA's reply: %w", err)
	}
	if err := checkImprint(ts, sig); err != nil {
		return nil, err
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, errors.New("evidence: the TSA's token does not carry the request's nonce")
	}
	return ts.RawToken, nil
}

// checkImprint reports whether ts stamps the SHA-256 of sig.
func checkImprint(ts *timestamp.Timestamp, sig []byte) error {
	sum := sha256.Sum256(sig)
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, sum[:]) {
		return fmt.Errorf("evidence: the timestamp token's message imprint %s is not the SHA-256 of the signature (%s)",
			hex.EncodeToString(ts.HashedMessage), hex.EncodeToString(sum[:]))
	}
	return nil
}

// Stamp describes a verified timestamp token.
type Stamp struct {
	Manifest string    `json:"manifest"` // path relative to the directory verified
	Time     time.Time `json:"time"`     // genTime: when the TSA saw the signature
	TSA      string    `json:"tsa"`      // subject of the TSA's signing certificate
	Serial   string    `json:"serial"`   // the token's serial number (hex)
	Imprint  string    `json:"imprint"`  // SHA-256 of the signature (hex)
	// Chained says the TSA's certificate chain was checked against the
	// trusted roots given to Verify; otherwise only the token's own
	// signature and imprint were.
	Chained bool `json:"chained"`
}

// VerifyTimestamp checks token as a timestamp of sig: the token's CMS
// signature, its message imprint (the SHA-256 of sig) and, when roots is
// not nil, the signer's certificate chain to one of roots, valid at the
// token's time and allowed to sign timestamps.
func VerifyTimestamp(token, sig []byte, roots *x509.CertPool) (Stamp, error) {
	ts, err := timestamp.Parse(token)
	if err != nil {
		return Stamp{}, fmt.Errorf("evidence: the timestamp token: %w", err)
	}
	if err := checkImprint(ts, sig); err != nil {
		return Stamp{}, err
	}
	st := Stamp{Time: ts.Time.UTC(), Imprint: hex.EncodeToString(ts.HashedMessage)}
	if ts.SerialNumber != nil {
		st.Serial = ts.SerialNumber.Text(16)
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return Stamp{}, fmt.Errorf("evidence: the timestamp token: %w", err)
	}
	if signer := p7.GetOnlySigner(); signer != nil {
		st.TSA = signer.Subject.String()
	}
	if len(p7.Certificates) == 0 {
		return Stamp{}, errors.New("evidence: the timestamp token carries no TSA certificate")
	}
	if roots == nil {
		return st, nil
	}
	err = p7.VerifyWithOpts(x509.VerifyOptions{Roots: roots, CurrentTime: ts.Time,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, Intermediates: certPool(p7.Certificates)})
	if err != nil {
		return Stamp{}, fmt.Errorf("evidence: the TSA's certificate does not chain to the trusted TSA roots: %w", err)
	}
	st.Chained = true
	return st, nil
}

func certPool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// LoadCertPool reads the PEM certificates of the file at path (trusted TSA
// roots) into a pool; a file without any certificate is an error.
func LoadCertPool(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("evidence: %s holds no PEM certificate", path)
	}
	return p, nil
}
