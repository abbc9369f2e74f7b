// Package loginfixture is a members-only forum for tests of login recipes:
// a login form with a per-visit CSRF token, a session cookie that expires
// after a fixed number of requests, members-only pages that redirect a
// logged-out visitor to the login page, and a logout link that ends the
// session. It serves whatever listener the test gives it (127.0.0.1).
package loginfixture

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Forum is an http.Handler. Its counters are safe for concurrent use.
type Forum struct {
	User, Password string
	// Pages is the number of members-only topic pages (/topic/1 …).
	Pages int
	// SessionRequests is how many members-only pages one session may load
	// before it expires (the next request is redirected to /login).
	SessionRequests int
	// SoftExpiry answers a logged-out visitor of a members-only page with
	// the login form itself (status 200) instead of a redirect to /login.
	SoftExpiry bool

	mu        sync.Mutex
	csrf      map[string]bool
	sessions  map[string]int // session ID → pages left
	logins    int
	failed    int
	expired   int
	logouts   int
	leaks     []string // requests other than the login post that carried the password
	served    map[string]int
	loginPage int
}

// New returns a forum with pages topic pages whose sessions last
// sessionRequests pages.
func New(user, password string, pages, sessionRequests int) *Forum {
	return &Forum{User: user, Password: password, Pages: pages, SessionRequests: sessionRequests,
		csrf: map[string]bool{}, sessions: map[string]int{}, served: map[string]int{}}
}

// MemberPaths returns the paths of every members-only page: / and the topics.
func (f *Forum) MemberPaths() []string {
	out := []string{"/"}
	for i := 1; i <= f.Pages; i++ {
		out = append(out, "/topic/"+strconv.Itoa(i))
	}
	return out
}

// Marker returns the text only a member sees on the page at path.
func Marker(path string) string {
	return "members-only-" + strings.Trim(strings.ReplaceAll(path, "/", "-"), "-") + "-text"
}

// Logins is the number of successful logins, Failed of refused ones,
// Expired of members-only requests refused because the session had run
// out, Logouts of visits to /logout.
func (f *Forum) Logins() int  { f.mu.Lock(); defer f.mu.Unlock(); return f.logins }
func (f *Forum) Failed() int  { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }
func (f *Forum) Expired() int { f.mu.Lock(); defer f.mu.Unlock(); return f.expired }
func (f *Forum) Logouts() int { f.mu.Lock(); defer f.mu.Unlock(); return f.logouts }

// Served returns how many times the members-only page at path was served
// to a member.
func (f *Forum) Served(path string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.served[path] }

// Leaks lists requests, other than the login form post, whose URL or
// headers carried the password.
func (f *Forum) Leaks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.leaks...)
}

func token() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *Forum) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isPost := r.Method == http.MethodPost && r.URL.Path == "/login"
	if !isPost {
		raw := r.URL.String()
		for k, v := range r.Header {
			raw += k + ":" + strings.Join(v, ",")
		}
		if strings.Contains(raw, f.Password) {
			f.mu.Lock()
			f.leaks = append(f.leaks, r.Method+" "+r.URL.Path)
			f.mu.Unlock()
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodGet:
		f.loginForm(w, "")
	case isPost:
		f.login(w, r)
	case r.URL.Path == "/logout":
		f.mu.Lock()
		f.logouts++
		if c, err := r.Cookie("sid"); err == nil {
			delete(f.sessions, c.Value)
		}
		f.mu.Unlock()
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case r.URL.Path == "/robots.txt":
		http.NotFound(w, r)
	default:
		f.member(w, r)
	}
}

func (f *Forum) loginForm(w http.ResponseWriter, msg string) {
	t := token()
	f.mu.Lock()
	f.csrf[t] = true
	f.loginPage++
	f.mu.Unlock()
	fmt.Fprintf(w, `<!doctype html><html><head><title>Log in</title></head><body>
<p>Please log in to see the forum.</p><p class="error">%s</p>
<form id="login" method="post" action="/login">
<input type="hidden" name="csrf" value="%s">
<input type="text" name="user"><input type="password" name="pass">
<input type="checkbox" name="remember" value="yes">
<select name="lang"><option value="en" selected>English</option><option value="de">Deutsch</option></select>
<input type="submit" name="go" value="Log in">
</form></body></html>`, html.EscapeString(msg), t)
}

func (f *Forum) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	okToken := f.csrf[r.PostForm.Get("csrf")]
	delete(f.csrf, r.PostForm.Get("csrf"))
	good := okToken && r.PostForm.Get("user") == f.User && r.PostForm.Get("pass") == f.Password &&
		r.PostForm.Get("lang") == "en" && r.PostForm.Get("remember") == "yes" && r.PostForm.Get("go") == ""
	if !good {
		f.failed++
		f.mu.Unlock()
		f.loginForm(w, "Invalid user name or password.")
		return
	}
	sid := token()
	f.sessions[sid] = f.SessionRequests
	f.logins++
	f.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (f *Forum) member(w http.ResponseWriter, r *http.Request) {
	n := 0
	if r.URL.Path != "/" {
		rest, ok := strings.CutPrefix(r.URL.Path, "/topic/")
		var err error
		if n, err = strconv.Atoi(rest); !ok || err != nil || n < 1 || n > f.Pages {
			http.NotFound(w, r)
			return
		}
	}
	f.mu.Lock()
	c, err := r.Cookie("sid")
	left, ok := 0, false
	if err == nil {
		left, ok = f.sessions[c.Value]
	}
	if !ok || left <= 0 {
		if ok {
			f.expired++
			delete(f.sessions, c.Value)
		}
		f.mu.Unlock()
		if f.SoftExpiry {
			f.loginForm(w, "")
			return
		}
		http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusFound)
		return
	}
	f.sessions[c.Value] = left - 1
	f.served[r.URL.Path]++
	f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html><head><title>Topic %d</title></head><body>
<p class="who">Logged in as %s — <a href="/logout">Log out</a></p>
<p>%s</p><ul>`, n, html.EscapeString(f.User), Marker(r.URL.Path))
	// Each page links to the next few, so the crawl goes breadth-first
	// through all of them.
	if n == 7 {
		// A settings form that shows the member's password, as careless
		// sites do: a crawler must not capture it.
		fmt.Fprintf(&b, `<form method="post" action="/settings"><input type="password" name="pw" value="%s"></form><p>password hint: %s</p>`,
			html.EscapeString(f.Password), html.EscapeString(f.Password))
	}
	for i := n*3 + 1; i <= n*3+3 && i <= f.Pages; i++ {
		fmt.Fprintf(&b, `<li><a href="/topic/%d">topic %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></body></html>`)
	w.Write([]byte(b.String()))
}
