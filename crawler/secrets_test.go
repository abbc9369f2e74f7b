package crawler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
)

// TestSecretsAreNamedNeverPaths: the secret store takes names, never paths;
// stores files 0600 in 0700 directories; refuses recipes that would read
// other variables than VIGIL_LOGIN_* or other files than its own
// credentials; lists without content; and no error quotes what a file
// holds.
func TestSecretsAreNamedNeverPaths(t *testing.T) {
	ctx := context.Background()
	s := &Secrets{Dir: filepath.Join(t.TempDir(), "secrets"), Getenv: func(k string) string {
		return map[string]string{"VIGIL_LOGIN_USER": "carol", "VIGIL_TOKEN": "root-token"}[k]
	}}
	const marker = "MARKER-never-echoed"
	good := "url: http://forum.example/login\ncredentials: {user: {env: VIGIL_LOGIN_USER}, pass: {file: forum-pass}}\nsuccess: {text: welcome}\n"

	t.Run("names with separators or dots are refused", func(t *testing.T) {
		for _, name := range []string{"", "../x", "a/b", `a\b`, ".hidden", "/etc/passwd", strings.Repeat("n", 65), "sp ace"} {
			if _, err := s.PutSecret(ctx, vigil.SecretLogin, name, []byte(good)); vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("PutSecret(login, %q) = %v; want invalid", name, err)
			}
			if _, err := s.Login(name); vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("Login(%q) = %v; want invalid", name, err)
			}
			if _, err := s.CookieJar(name); vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("CookieJar(%q) = %v; want invalid", name, err)
			}
		}
		if _, err := s.PutSecret(ctx, "keys", "evidence.key", []byte("x")); vigil.ErrorCode(err) != vigil.EINVALID {
			t.Errorf("an unknown kind was accepted: %v", err)
		}
	})

	t.Run("recipes reading server secrets are refused at upload", func(t *testing.T) {
		for _, src := range []string{"{env: VIGIL_TOKEN}", "{env: ELASTICSEARCH_PASSWORD}", "{file: ../keys/evidence.key}", "{file: /etc/passwd}"} {
			recipe := "url: http://forum.example/login\ncredentials: {pass: " + src + "}\nsuccess: {text: welcome}\n"
			if _, err := s.PutSecret(ctx, vigil.SecretLogin, "evil", []byte(recipe)); vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("a recipe with %s was stored: %v", src, err)
			}
		}
		if _, err := s.Secret(ctx, vigil.SecretLogin, "evil"); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Errorf("a refused recipe is in the store: %v", err)
		}
	})

	t.Run("errors quote nothing a file holds", func(t *testing.T) {
		for kind, data := range map[vigil.SecretKind]string{
			vigil.SecretLogin:      "url: http://forum.example/login\ncredentials: " + marker + "\nsuccess: {text: welcome}\n",
			vigil.SecretCookies:    "forum.example\tFALSE\t/\tFALSE\t" + marker + "\tsid\t" + marker + "\n",
			vigil.SecretCredential: "",
		} {
			_, err := s.PutSecret(ctx, kind, "bad", []byte(data))
			if vigil.ErrorCode(err) != vigil.EINVALID || strings.Contains(err.Error(), marker) {
				t.Errorf("PutSecret(%s) of bad content = %v; want invalid without the content", kind, err)
			}
		}
	})

	t.Run("a stored recipe reads its stored credential and VIGIL_LOGIN_ variable", func(t *testing.T) {
		if _, err := s.PutSecret(ctx, vigil.SecretLogin, "forum", []byte(good)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login("forum"); err == nil || !strings.Contains(err.Error(), `no credential named "forum-pass"`) {
			t.Fatalf("a recipe whose credential is not stored = %v", err)
		}
		if _, err := s.PutSecret(ctx, vigil.SecretCredential, "forum-pass", []byte(marker+"\n")); err != nil {
			t.Fatal(err)
		}
		l, err := s.Login("forum")
		if err != nil || l.secrets["pass"] != marker || l.secrets["user"] != "carol" {
			t.Fatalf("Login = %v, %v", l, err)
		}
		for path, want := range map[string]os.FileMode{
			s.Dir: 0o700, filepath.Join(s.Dir, "credential"): 0o700, filepath.Join(s.Dir, "credential", "forum-pass"): 0o600,
		} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
			}
		}
		os.Chmod(filepath.Join(s.Dir, "credential", "forum-pass"), 0o640)
		if _, err := s.Login("forum"); err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), marker) {
			t.Errorf("a group-readable credential = %v; want refused without its value", err)
		}
	})

	t.Run("listing names kinds and sizes, and removing works once", func(t *testing.T) {
		list, err := s.Secrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range list {
			got = append(got, string(i.Kind)+"/"+i.Name)
		}
		if strings.Join(got, " ") != "login/forum credential/forum-pass" {
			t.Fatalf("Secrets() = %v", got)
		}
		if err := s.RemoveSecret(ctx, vigil.SecretLogin, "forum"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveSecret(ctx, vigil.SecretLogin, "forum"); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("removing twice = %v; want not found", err)
		}
		if _, err := s.Login("forum"); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("a removed recipe = %v; want not found", err)
		}
	})
}
