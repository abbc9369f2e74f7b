package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"time"
)

// SessionTTL is how long a sign-in on the page lasts (less when its token
// expires sooner).
const SessionTTL = 12 * time.Hour

// maxSessions bounds the sessions kept at once; the one nearest its end
// makes room for a new one.
const maxSessions = 10000

// sessionCookie holds the session ID of a browser that signed in on
// /login: a random value that means something only to this process, never
// the token itself.
const sessionCookie = "vigil_session"

// session is what a session ID stands for: the principal, the SHA-256 of
// the token it signed in with ("" for VIGIL_TOKEN), and its end.
type session struct {
	principal Principal
	tokenHash string
	expires   time.Time
}

// sessionStore keeps the page's sessions in memory, by the SHA-256 of their
// ID: a restart signs everyone out. It is safe for concurrent use.
type sessionStore struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]session
}

func newSessionStore() *sessionStore {
	return &sessionStore{now: time.Now, m: map[string]session{}}
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// create starts a session for p that ends at the earlier of SessionTTL from
// now and until (when not zero), and returns its ID and end.
func (st *sessionStore) create(p Principal, tokenHash string, until time.Time) (string, time.Time, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := st.now()
	end := now.Add(SessionTTL)
	if !until.IsZero() && until.Before(end) {
		end = until
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= maxSessions {
		st.pruneLocked(now)
	}
	st.m[hashID(id)] = session{principal: p, tokenHash: tokenHash, expires: end}
	return id, end, nil
}

// pruneLocked drops ended sessions and, if the store is still full, the
// one nearest its end.
func (st *sessionStore) pruneLocked(now time.Time) {
	var soonest string
	for k, s := range st.m {
		if !now.Before(s.expires) {
			delete(st.m, k)
		} else if soonest == "" || s.expires.Before(st.m[soonest].expires) {
			soonest = k
		}
	}
	if len(st.m) >= maxSessions {
		delete(st.m, soonest)
	}
}

// lookup returns the live session of id.
func (st *sessionStore) lookup(id string) (session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := hashID(id)
	s, ok := st.m[k]
	if ok && !st.now().Before(s.expires) {
		delete(st.m, k)
		return session{}, false
	}
	return s, ok
}

// end forgets the session of id, if any.
func (st *sessionStore) end(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.m, hashID(id))
}
