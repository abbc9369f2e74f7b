package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"vigil"
	"vigil/internal/atomicfile"
)

// Size limits of stored secrets.
const (
	maxRecipe     = 64 << 10
	maxCookies    = 1 << 20
	maxCredential = 64 << 10
)

// Secrets is the store of the login material crawls use, by kind and name:
// Dir/login/NAME (recipes), Dir/cookies/NAME (cookies.txt files) and
// Dir/credential/NAME (the credentials recipes name with {file: NAME}).
// Admins fill it through the API (PutSecret); the crawl workers read it
// (Login, CookieJar). Directories are created 0700 and files 0600, and a
// file readable by group or others is refused when read, so the directory
// may also be one an admin manages outside the data directory. Nothing in
// it is ever named by a path from a crawl request, and no error quotes what
// a file holds. Its methods are safe for concurrent use by several
// processes (files are replaced by rename).
type Secrets struct {
	Dir string
	// Getenv reads the crawl workers' environment for {env:} credentials;
	// nil means os.Getenv.
	Getenv func(string) string
}

var _ vigil.SecretStore = (*Secrets)(nil)

// kindNoun names a kind in messages.
var kindNoun = map[vigil.SecretKind]string{
	vigil.SecretLogin: "login recipe", vigil.SecretCookies: "cookie file", vigil.SecretCredential: "credential",
}

// path returns the file of a secret, after checking its kind and name.
func (s *Secrets) path(kind vigil.SecretKind, name string) (string, error) {
	if _, err := vigil.ParseSecretKind(string(kind)); err != nil {
		return "", err
	}
	if err := vigil.CheckSecretName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.Dir, string(kind), name), nil
}

// read returns a stored secret's content: ENOTFOUND when there is none.
func (s *Secrets) read(kind vigil.SecretKind, name string, limit int64) ([]byte, error) {
	p, err := s.path(kind, name)
	if err != nil {
		return nil, err
	}
	b, err := readPrivate(p, kindNoun[kind]+" "+fmt.Sprintf("%q", name), limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "no %s named %q: an admin stores it with `vigil secrets add %s %s FILE`", kindNoun[kind], name, kind, name)
	}
	return b, err
}

// readPrivate reads the regular file p, of mode 0600 or stricter and at
// most limit bytes; what names it in errors (never the path's content).
func readPrivate(p, what string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", what, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s cannot be read", what)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", what)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", what, fi.Mode().Perm())
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is over %d bytes", what, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil || int64(len(b)) > limit {
		return nil, fmt.Errorf("%s cannot be read", what)
	}
	return b, nil
}

// Login reads the stored recipe name and the credentials it names.
func (s *Secrets) Login(name string) (*Login, error) {
	data, err := s.read(vigil.SecretLogin, name, maxRecipe)
	if err != nil {
		return nil, err
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	l, err := ParseLogin(data, filepath.Join(s.Dir, string(vigil.SecretCredential)), getenv)
	if err != nil {
		return nil, fmt.Errorf("login recipe %q: %w", name, err)
	}
	return l, nil
}

// CookieJar reads the stored cookie file name into a new cookie jar.
func (s *Secrets) CookieJar(name string) (http.CookieJar, error) {
	data, err := s.read(vigil.SecretCookies, name, maxCookies)
	if err != nil {
		return nil, err
	}
	jar, err := ParseCookies(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cookie file %q: %w", name, err)
	}
	return jar, nil
}

// validate checks data as a secret of kind: a recipe (CheckRecipe), a
// cookies.txt file or a credential (one line, not empty). Its errors are
// EINVALID and quote nothing of data.
func validate(kind vigil.SecretKind, name string, data []byte) error {
	var err error
	switch kind {
	case vigil.SecretLogin:
		if len(data) > maxRecipe {
			err = fmt.Errorf("over %d bytes", maxRecipe)
		} else {
			err = CheckRecipe(data)
		}
	case vigil.SecretCookies:
		if len(data) > maxCookies {
			err = fmt.Errorf("over %d bytes", maxCookies)
		} else {
			_, err = ParseCookies(bytes.NewReader(data))
		}
	case vigil.SecretCredential:
		v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		switch {
		case len(data) > maxCredential:
			err = fmt.Errorf("over %d bytes", maxCredential)
		case v == "":
			err = errors.New("empty")
		case strings.ContainsAny(v, "\x00\n"):
			err = errors.New("not one line")
		}
	}
	if err != nil {
		return vigil.Errorf(vigil.EINVALID, "%s %q: %v", kindNoun[kind], name, err)
	}
	return nil
}

// PutSecret validates data for its kind and stores it (mode 0600),
// replacing a secret of the same kind and name.
func (s *Secrets) PutSecret(_ context.Context, kind vigil.SecretKind, name string, data []byte) (vigil.SecretInfo, error) {
	p, err := s.path(kind, name)
	if err != nil {
		return vigil.SecretInfo{}, err
	}
	if err := validate(kind, name, data); err != nil {
		return vigil.SecretInfo{}, err
	}
	for _, d := range []string{s.Dir, filepath.Dir(p)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return vigil.SecretInfo{}, fmt.Errorf("secret store: %w", err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return vigil.SecretInfo{}, fmt.Errorf("secret store: %w", err)
		}
	}
	if err := atomicfile.Write(p, data); err != nil {
		return vigil.SecretInfo{}, fmt.Errorf("secret store: %w", err)
	}
	return s.Secret(context.Background(), kind, name)
}

// Secret describes the stored secret of kind and name.
func (s *Secrets) Secret(_ context.Context, kind vigil.SecretKind, name string) (vigil.SecretInfo, error) {
	p, err := s.path(kind, name)
	if err != nil {
		return vigil.SecretInfo{}, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return vigil.SecretInfo{}, vigil.Errorf(vigil.ENOTFOUND, "no %s named %q: an admin stores it with `vigil secrets add %s %s FILE`", kindNoun[kind], name, kind, name)
	} else if err != nil {
		return vigil.SecretInfo{}, fmt.Errorf("secret store: %w", err)
	}
	return vigil.SecretInfo{Kind: kind, Name: name, Size: fi.Size(), Modified: fi.ModTime().UTC()}, nil
}

// Secrets lists the stored secrets by kind (in vigil.SecretKinds order),
// then name.
func (s *Secrets) Secrets(ctx context.Context) ([]vigil.SecretInfo, error) {
	out := []vigil.SecretInfo{}
	for _, kind := range vigil.SecretKinds {
		entries, err := os.ReadDir(filepath.Join(s.Dir, string(kind)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("secret store: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || vigil.CheckSecretName(e.Name()) != nil {
				continue // temporary files of a write in progress, and strays
			}
			if info, err := s.Secret(ctx, kind, e.Name()); err == nil {
				out = append(out, info)
			}
		}
	}
	return out, nil
}

// RemoveSecret deletes the stored secret of kind and name.
func (s *Secrets) RemoveSecret(_ context.Context, kind vigil.SecretKind, name string) error {
	p, err := s.path(kind, name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return vigil.Errorf(vigil.ENOTFOUND, "no %s named %q", kindNoun[kind], name)
	} else if err != nil {
		return fmt.Errorf("secret store: %w", err)
	}
	return nil
}
