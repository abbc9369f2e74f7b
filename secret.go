package vigil

import (
	"context"
	"strings"
	"time"
)

// SecretKind is what a stored login secret is. A crawl names the secrets it
// uses (CrawlRequest.Login, CrawlRequest.Cookies); it never names a file.
type SecretKind string

// The kinds of stored secrets.
const (
	// SecretLogin is a login form recipe (YAML, docs/login.md).
	SecretLogin SecretKind = "login"
	// SecretCookies is a Netscape cookies.txt file of a logged-in session.
	SecretCookies SecretKind = "cookies"
	// SecretCredential is one credential value, named by a recipe's
	// {file: NAME}.
	SecretCredential SecretKind = "credential"
)

// SecretKinds lists every kind, in the order listings show them.
var SecretKinds = []SecretKind{SecretLogin, SecretCookies, SecretCredential}

// ParseSecretKind returns the kind named s, or an EINVALID error.
func ParseSecretKind(s string) (SecretKind, error) {
	for _, k := range SecretKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", Errorf(EINVALID, "unknown secret kind %q (use login, cookies or credential)", s)
}

// MaxSecretName bounds the length of a secret's name.
const MaxSecretName = 64

// CheckSecretName returns an EINVALID error unless name can name a stored
// secret: 1 to MaxSecretName letters, digits, '.', '-' and '_', not
// starting with '.'. A name is never a path: it holds no separator.
func CheckSecretName(name string) error {
	if strings.ContainsAny(name, `/\`) {
		return Errorf(EINVALID, "%q is a path: name a secret an admin stored (vigil secrets list), never a file", clip(name))
	}
	ok := name != "" && len(name) <= MaxSecretName && name[0] != '.'
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			ok = false
		}
	}
	if !ok {
		return Errorf(EINVALID, "%q is not a secret name: use 1 to %d letters, digits, '.', '-' or '_', not starting with '.'", clip(name), MaxSecretName)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// SecretInfo describes a stored secret; its content is never returned.
type SecretInfo struct {
	Kind     SecretKind `json:"kind"`
	Name     string     `json:"name"`
	Size     int64      `json:"size"`
	Modified time.Time  `json:"modified"`
}

// SecretStore keeps the login recipes, cookie files and credentials that
// crawls use, by kind and name, where the crawl workers read them. Content
// goes in and never comes out through it. PutSecret validates the content
// for its kind and replaces a secret of the same kind and name; Secret and
// RemoveSecret return ENOTFOUND for an unknown one; names are checked with
// CheckSecretName (EINVALID).
type SecretStore interface {
	PutSecret(ctx context.Context, kind SecretKind, name string, data []byte) (SecretInfo, error)
	Secret(ctx context.Context, kind SecretKind, name string) (SecretInfo, error)
	Secrets(ctx context.Context) ([]SecretInfo, error)
	RemoveSecret(ctx context.Context, kind SecretKind, name string) error
}
