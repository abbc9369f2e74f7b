package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"gopkg.in/yaml.v3"

	"vigil"
)

// LoginRecipe is a per-site login form recipe, as read from a YAML file
// (docs/login.md). It names where credentials come from, never the
// credentials themselves.
type LoginRecipe struct {
	// URL is the page that holds the login form (fetched with GET).
	URL string `yaml:"url"`
	// Form is the CSS selector of the login form on that page; "" means
	// the first form with a password input.
	Form string `yaml:"form"`
	// Fields are form values that are not secret (a "remember me" box).
	// They override the form's own values; hidden inputs (CSRF tokens)
	// are sent as the page gives them.
	Fields map[string]string `yaml:"fields"`
	// Credentials maps form field names to where their values come from:
	// a VIGIL_LOGIN_ environment variable of the crawl workers or a
	// credential an admin stored.
	Credentials map[string]Secret `yaml:"credentials"`
	// Success is checked on the page the form post lands on; a failed
	// check fails the login. Required.
	Success Check `yaml:"success"`
	// LoggedOut, when set, marks a page served to a logged-out visitor: a
	// page of the site that matches it means the session expired.
	LoggedOut Check `yaml:"logged_out"`
	// CheckEveryPage treats any HTML page of the site that fails Success
	// as a sign of an expired session.
	CheckEveryPage bool `yaml:"check_every_page"`
	// Avoid lists substrings of URLs (path and query, case-insensitive)
	// that the crawl never follows on the site, because fetching them
	// would end the session. nil means DefaultAvoid.
	Avoid []string `yaml:"avoid"`
}

// Secret says where one credential comes from: exactly one of Env (an
// environment variable of the crawl workers whose name starts with
// LoginEnvPrefix) or File (the name of a credential an admin stored,
// vigil.SecretCredential: never a path; one trailing newline is dropped).
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// LoginEnvPrefix starts the name of every environment variable a recipe
// may take a credential from, so that no recipe can read the rest of the
// workers' environment (VIGIL_TOKEN, Elasticsearch passwords).
const LoginEnvPrefix = "VIGIL_LOGIN_"

// Check is a test of a parsed HTML page. Every condition set must hold; an
// empty Check is not allowed where a check is required.
type Check struct {
	Selector       string `yaml:"selector"`        // an element matches
	Text           string `yaml:"text"`            // the page's text contains it
	AbsentSelector string `yaml:"absent_selector"` // no element matches
	AbsentText     string `yaml:"absent_text"`     // the page's text does not contain it
}

// DefaultAvoid are the URL substrings not followed on a site the crawl
// logs in to.
var DefaultAvoid = []string{"logout", "log-out", "log_out", "signout", "sign-out", "sign_out", "logoff"}

// ErrLogin is wrapped by every error that says a login was refused (the
// success check failed), as opposed to a network failure.
var ErrLogin = errors.New("login refused")

// Login is a parsed recipe with its credentials read. Its String and
// GoString say which site it is for and never print a credential.
type Login struct {
	recipe  LoginRecipe
	page    *url.URL
	secrets map[string]string
	avoid   []string
}

func (l *Login) String() string   { return "login recipe for " + l.page.Redacted() }
func (l *Login) GoString() string { return l.String() }

// Host is the host (host:port) the recipe logs in to.
func (l *Login) Host() string { return l.page.Host }

// CheckRecipe parses a recipe and checks where its credentials come from
// without reading them: what an admin's upload must pass. Errors never
// quote the recipe's values.
func CheckRecipe(data []byte) error {
	_, _, err := parseRecipe(data)
	return err
}

// parseRecipe parses and checks a recipe: an http(s) URL, a success check,
// valid CSS selectors and credentials that each name a VIGIL_LOGIN_
// variable or a stored credential.
func parseRecipe(data []byte) (LoginRecipe, *url.URL, error) {
	var r LoginRecipe
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return r, nil, fmt.Errorf("not a login recipe: %s", quietYAML(err))
	}
	u, err := url.Parse(strings.TrimSpace(r.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return r, nil, errors.New("url is not an http(s) URL with a host")
	}
	if r.Success.empty() {
		return r, nil, errors.New("no success check: set success.selector, success.text, success.absent_selector or success.absent_text")
	}
	if len(r.Credentials) == 0 {
		return r, nil, errors.New("no credentials: map the form's fields to {env: " + LoginEnvPrefix + "VAR} or {file: NAME}")
	}
	for _, sel := range []string{r.Form, r.Success.Selector, r.Success.AbsentSelector, r.LoggedOut.Selector, r.LoggedOut.AbsentSelector} {
		if sel == "" {
			continue
		}
		if _, err := cascadia.ParseGroup(sel); err != nil {
			return r, nil, fmt.Errorf("CSS selector %q: %v", sel, err)
		}
	}
	for field, s := range r.Credentials {
		if err := s.check(); err != nil {
			return r, nil, fmt.Errorf("credential for field %q: %w", field, err)
		}
	}
	return r, u, nil
}

// quietYAML is the text of a YAML decoding error without the values it
// quotes (yaml.v3 puts them between backquotes): a recipe's errors must
// not echo what the file holds.
func quietYAML(err error) string {
	return backquoted.ReplaceAllString(err.Error(), "a value")
}

var backquoted = regexp.MustCompile("`[^`]*`")

// ParseLogin parses a recipe and reads its credentials: variables through
// getenv, stored credentials from the directory credentials (one file per
// name). Errors name fields, variables and credentials, never a value.
func ParseLogin(data []byte, credentials string, getenv func(string) string) (*Login, error) {
	r, u, err := parseRecipe(data)
	if err != nil {
		return nil, err
	}
	l := &Login{recipe: r, page: u, secrets: map[string]string{}, avoid: DefaultAvoid}
	if r.Avoid != nil {
		l.avoid = nil
		for _, a := range r.Avoid {
			if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
				l.avoid = append(l.avoid, a)
			}
		}
	}
	for field, s := range r.Credentials {
		v, err := s.read(credentials, getenv)
		if err != nil {
			return nil, fmt.Errorf("credential for field %q: %w", field, err)
		}
		l.secrets[field] = v
	}
	return l, nil
}

// check refuses a source that is not exactly one VIGIL_LOGIN_ variable or
// one stored credential's name.
func (s Secret) check() error {
	switch {
	case s.Env != "" && s.File != "":
		return errors.New("set env or file, not both")
	case s.Env != "":
		if !strings.HasPrefix(s.Env, LoginEnvPrefix) || len(s.Env) == len(LoginEnvPrefix) ||
			strings.ContainsFunc(s.Env, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') }) {
			return fmt.Errorf("environment variable %q is refused: recipes read only variables named %sNAME (upper case, digits, _)", s.Env, LoginEnvPrefix)
		}
		return nil
	case s.File != "":
		if err := vigil.CheckSecretName(s.File); err != nil {
			return fmt.Errorf("file: %s (it names a credential stored with `vigil secrets add credential NAME FILE`)", vigil.ErrorMessage(err))
		}
		return nil
	}
	return errors.New("set env or file")
}

// read returns the credential's value: the variable's, or the stored
// credential's (dir/NAME, mode 0600 or stricter).
func (s Secret) read(dir string, getenv func(string) string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	if s.Env != "" {
		v := getenv(s.Env)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is not set (it must be set for the crawl workers)", s.Env)
		}
		return v, nil
	}
	b, err := readPrivate(filepath.Join(dir, s.File), "credential "+strconv.Quote(s.File), maxCredential)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no credential named %q: an admin stores it with `vigil secrets add credential %s FILE`", s.File, s.File)
	} else if err != nil {
		return "", err
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("credential %q is empty", s.File)
	}
	return v, nil
}

func (c Check) empty() bool {
	return c.Selector == "" && c.Text == "" && c.AbsentSelector == "" && c.AbsentText == ""
}

// failure returns why doc does not pass c, or "" when it does.
func (c Check) failure(doc *goquery.Document) string {
	if c.Selector != "" && doc.Find(c.Selector).Length() == 0 {
		return fmt.Sprintf("no element matches %q", c.Selector)
	}
	if c.AbsentSelector != "" && doc.Find(c.AbsentSelector).Length() > 0 {
		return fmt.Sprintf("an element matches %q", c.AbsentSelector)
	}
	if c.Text != "" || c.AbsentText != "" {
		text := doc.Text()
		if c.Text != "" && !strings.Contains(text, c.Text) {
			return fmt.Sprintf("the text %q is missing", c.Text)
		}
		if c.AbsentText != "" && strings.Contains(text, c.AbsentText) {
			return fmt.Sprintf("the text %q is present", c.AbsentText)
		}
	}
	return ""
}

// isLoginPage reports whether u is the recipe's login page (query ignored).
func (l *Login) isLoginPage(u *url.URL) bool {
	return u != nil && strings.EqualFold(u.Host, l.page.Host) && strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(l.page.Path, "/")
}

// avoids reports why a link must not be followed on the login's site: it is
// the login page, or it matches an Avoid substring. "" means follow it.
func (l *Login) avoids(u *url.URL) string {
	if !strings.EqualFold(u.Host, l.page.Host) {
		return ""
	}
	if l.isLoginPage(u) {
		return "session: the login page is not crawled"
	}
	pq := strings.ToLower(u.RequestURI())
	for _, a := range l.avoid {
		if strings.Contains(pq, a) {
			return fmt.Sprintf("session: %q would end the login session", a)
		}
	}
	return ""
}

// Session is a login session shared by the Crawl calls (the batches) of one
// crawl: the recipe, a cookie jar, and how many times it logged in. Crawl
// logs in before its first page when the session has never logged in, and
// again whenever a page shows the session expired.
type Session struct {
	login  *Login
	jar    http.CookieJar
	mu     sync.Mutex // held while logging in
	gen    int        // successful logins so far
	logins int
	// redact are the credentials posted into the form's password inputs:
	// a page that shows one (a settings form that echoes it) has it
	// replaced before the page is handed over.
	redact atomic.Pointer[[][]byte]
}

// NewSession returns a session for l. jar may hold cookies to start from
// (nil: an empty jar).
func NewSession(l *Login, jar http.CookieJar) (*Session, error) {
	if l == nil {
		return nil, errors.New("session: no login recipe")
	}
	if jar == nil {
		var err error
		if jar, err = cookiejar.New(nil); err != nil {
			return nil, err
		}
	}
	return &Session{login: l, jar: jar}, nil
}

// Host is the host (host:port) the session logs in to.
func (s *Session) Host() string { return s.login.Host() }

// Logins returns how many times the session logged in successfully.
func (s *Session) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

func (s *Session) generation() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// ensure logs in unless another goroutine has logged in since generation
// seen, and returns the current generation. Requests go through client,
// within the politeness gates.
func (s *Session) ensure(ctx context.Context, seen int, client *http.Client, gates *hostGates, ua string, maxBody int) (gen int, loggedIn bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != seen {
		return s.gen, false, nil
	}
	redact, err := s.login.do(ctx, client, gates, ua, maxBody)
	if err != nil {
		return s.gen, false, err
	}
	s.redact.Store(&redact)
	s.gen++
	s.logins++
	return s.gen, true, nil
}

// do fetches the login page, fills in its form and posts it, and checks the
// page it lands on. The responses are not captured anywhere.
func (l *Login) do(ctx context.Context, client *http.Client, gates *hostGates, ua string, maxBody int) (redact [][]byte, err error) {
	where := l.page.Redacted()
	doc, _, err := l.get(ctx, client, gates, http.MethodGet, l.page.String(), nil, ua, maxBody)
	if err != nil {
		return nil, fmt.Errorf("login page %s: %w", where, err)
	}
	form, err := l.findForm(doc)
	if err != nil {
		return nil, err
	}
	action, err := l.formAction(doc, form)
	if err != nil {
		return nil, err
	}
	vals := formValues(form)
	redact = l.fillIn(form, vals)
	landed, status, err := l.get(ctx, client, gates, http.MethodPost, action.String(), vals, ua, maxBody)
	if err != nil {
		return nil, fmt.Errorf("login form post to %s: %w", action.Redacted(), err)
	}
	if why := l.recipe.Success.failure(landed); why != "" {
		return nil, fmt.Errorf("login to %s failed (status %d): success check: %s (wrong credentials or recipe?): %w", l.page.Host, status, why, ErrLogin)
	}
	return redact, nil
}

// findForm returns the login form of the login page doc: the recipe's Form
// selector, or else the first form with a password input.
func (l *Login) findForm(doc *goquery.Document) (*goquery.Selection, error) {
	sel := l.recipe.Form
	var form *goquery.Selection
	if sel != "" {
		form = doc.Find(sel).First()
	} else {
		form = doc.Find("form").FilterFunction(func(_ int, f *goquery.Selection) bool {
			return f.Find(`input[type="password" i]`).Length() > 0
		}).First()
		sel = "a form with a password input"
	}
	if form.Length() == 0 || goquery.NodeName(form) != "form" {
		return nil, fmt.Errorf("login page %s: %s not found: %w", l.page.Redacted(), sel, ErrLogin)
	}
	return form, nil
}

// formAction returns where the login form posts to, resolved against the
// login page. A form that does not POST (credentials would go into the URL)
// or posts to another site is refused with ErrLogin.
func (l *Login) formAction(doc *goquery.Document, form *goquery.Selection) (*url.URL, error) {
	where := l.page.Redacted()
	method := strings.ToUpper(strings.TrimSpace(form.AttrOr("method", "get")))
	if method != http.MethodPost {
		return nil, fmt.Errorf("login form on %s uses %s: credentials would travel in the URL, refused: %w", where, method, ErrLogin)
	}
	action := doc.Url
	if a, ok := form.Attr("action"); ok && strings.TrimSpace(a) != "" {
		var err error
		if action, err = doc.Url.Parse(strings.TrimSpace(a)); err != nil {
			return nil, fmt.Errorf("login form on %s: bad action: %w", where, ErrLogin)
		}
	}
	if !strings.EqualFold(action.Host, l.page.Host) || (action.Scheme != "http" && action.Scheme != "https") {
		return nil, fmt.Errorf("login form on %s posts to another site (%s): refused: %w", where, action.Redacted(), ErrLogin)
	}
	return action, nil
}

// formValues returns what a browser would submit for form as it stands:
// every named input (checked ones only for checkboxes and radio buttons; no
// buttons or files), textarea and select (its selected or first option).
func formValues(form *goquery.Selection) url.Values {
	vals := url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, in *goquery.Selection) {
		name := in.AttrOr("name", "")
		switch goquery.NodeName(in) {
		case "input":
			switch strings.ToLower(in.AttrOr("type", "text")) {
			case "submit", "button", "image", "reset", "file":
				return
			case "checkbox", "radio":
				if _, ok := in.Attr("checked"); !ok {
					return
				}
				vals.Add(name, in.AttrOr("value", "on"))
				return
			}
			vals.Add(name, in.AttrOr("value", ""))
		case "textarea":
			vals.Add(name, in.Text())
		case "select":
			opt := in.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = in.Find("option").First()
			}
			if opt.Length() > 0 {
				vals.Add(name, opt.AttrOr("value", opt.Text()))
			}
		}
	})
	return vals
}

// fillIn sets the recipe's fields and the credentials in vals, and returns
// the credentials to redact from pages: those posted into a password input
// of form or, if none was, every credential.
func (l *Login) fillIn(form *goquery.Selection, vals url.Values) (redact [][]byte) {
	for k, v := range l.recipe.Fields {
		vals.Set(k, v)
	}
	for k, v := range l.secrets {
		vals.Set(k, v)
		if form.Find(`input[type="password" i]`).FilterFunction(func(_ int, in *goquery.Selection) bool {
			return in.AttrOr("name", "") == k
		}).Length() > 0 {
			redact = append(redact, []byte(v))
		}
	}
	if len(redact) == 0 {
		// No credential went into a password input: keep them all out.
		for _, v := range l.secrets {
			redact = append(redact, []byte(v))
		}
	}
	return redact
}

// get sends one login request (following redirects) and parses the answer.
// Errors never include the request body.
func (l *Login) get(ctx context.Context, client *http.Client, gates *hostGates, method, target string, form url.Values, ua string, maxBody int) (*goquery.Document, int, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, 0, errors.New("bad request")
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", l.page.String())
	}
	done, err := gates.acquire(ctx, target)
	if err != nil {
		return nil, 0, err
	}
	resp, err := client.Do(req)
	done()
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, 0, ue.Err // url.Error's text repeats the URL; the caller names it
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxBody)))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	doc, err := parseHTML(raw, resp.Header.Get("Content-Type"), resp.Request.URL)
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if method == http.MethodGet && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		return nil, resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	return doc, resp.StatusCode, nil
}

// expired reports whether a fetched page of the login's site shows that
// the session is gone: it is (or redirects to) the login page, it matches
// LoggedOut, or, with CheckEveryPage, it fails Success. The login page
// itself, fetched on purpose, is not a sign of anything.
func (l *Login) expired(r Request, f *fetch) bool {
	req, err := url.Parse(r.URL)
	if err != nil || !strings.EqualFold(req.Host, l.page.Host) || l.isLoginPage(req) {
		return false
	}
	if l.isLoginPage(f.finalURL) && !l.isLoginPage(req) {
		return true
	}
	if f.status >= 300 && f.status <= 399 && f.header != nil {
		if loc := f.header.Get("Location"); loc != "" {
			base := f.finalURL
			if base == nil {
				base = req
			}
			if u, err := base.Parse(loc); err == nil && l.isLoginPage(u) {
				return true
			}
		}
	}
	if f.doc == nil {
		return false
	}
	if !l.recipe.LoggedOut.empty() && l.recipe.LoggedOut.failure(f.doc) == "" {
		return true
	}
	return l.recipe.CheckEveryPage && f.status >= 200 && f.status <= 299 && l.recipe.Success.failure(f.doc) != ""
}

// redactPage replaces every credential the session posted into a password
// input, wherever p's body or headers show it, with "[redacted]", and
// parses the body again when it was HTML. It reports whether it did.
func (s *Session) redactPage(p *Page) bool {
	rp := s.redact.Load()
	if rp == nil {
		return false
	}
	found := false
	for _, v := range *rp {
		if bytes.Contains(p.Body, v) {
			found = true
			p.Body = bytes.ReplaceAll(p.Body, v, []byte("[redacted]"))
		}
		for k, vs := range p.Header {
			for i, hv := range vs {
				if strings.Contains(hv, string(v)) {
					found = true
					p.Header[k][i] = strings.ReplaceAll(hv, string(v), "[redacted]")
				}
			}
		}
	}
	if found && p.Doc != nil {
		if doc, err := parseHTML(p.Body, p.ContentType, p.Doc.Url); err == nil {
			p.Doc = doc
		}
	}
	return found
}
