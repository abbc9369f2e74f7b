package tor

import (
	"bufio"
	"context"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeControl is a tor ControlPort on 127.0.0.1 that answers a script:
// command line → reply lines (sent with CRLF). Unknown commands get 510.
func fakeControl(t *testing.T, cookie []byte, script map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				authed := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					if !authed {
						if line != "AUTHENTICATE "+hex.EncodeToString(cookie) {
							c.Write([]byte("515 Authentication failed: Wrong length on authentication cookie.\r\n"))
							return
						}
						authed = true
						c.Write([]byte("250 OK\r\n"))
						continue
					}
					rep, ok := script[line]
					if !ok {
						rep = `510 Unrecognized command "` + line + `"`
					}
					c.Write([]byte(strings.ReplaceAll(rep, "\n", "\r\n") + "\r\n"))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestControlAuthenticatesAndReadsBootstrapCircuitsAndStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cookie := []byte("0123456789abcdef0123456789abcdef")
	cookieFile := filepath.Join(t.TempDir(), "control_auth_cookie")
	if err := os.WriteFile(cookieFile, cookie, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fakeControl(t, cookie, map[string]string{
		"GETINFO status/bootstrap-phase": "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=45 TAG=loading_descriptors SUMMARY=\"Loading relay descriptors\"\n250 OK",
		"GETINFO circuit-status": "250+circuit-status=\n" +
			"5 BUILT $AAAA~a,$BBBB~b,$CCCC~c PURPOSE=HS_CLIENT_REND HS_STATE=HSCR_JOINED REND_QUERY=forumaddr SOCKS_USERNAME=\"crawl-1/forumaddr.onion:80\" SOCKS_PASSWORD=\"vigil\"\n" +
			"7 BUILT $DDDD~d PURPOSE=GENERAL TIME_CREATED=2026-01-01T00:00:00.000000\n" +
			".\n250 OK",
		"SIGNAL NEWNYM":    "250 OK",
		"SETEVENTS STREAM": "250 OK\n650 STREAM 12 SUCCEEDED 5 forumaddr.onion:80 SOCKS_USERNAME=\"crawl-1/forumaddr.onion:80\" SOCKS_PASSWORD=\"vigil\"",
	})

	if _, err := DialControl(ctx, addr, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("DialControl with a missing cookie file succeeded")
	}
	ctl, err := DialControl(ctx, addr, cookieFile)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()

	b, err := ctl.Bootstrap(ctx)
	if err != nil || b.Progress != 45 || b.Tag != "loading_descriptors" || b.Summary != "Loading relay descriptors" || b.Done() {
		t.Fatalf("Bootstrap() = %+v, %v", b, err)
	}
	circs, err := ctl.Circuits(ctx)
	if err != nil || len(circs) != 2 {
		t.Fatalf("Circuits() = %+v, %v", circs, err)
	}
	c := circs[0]
	if c.ID != "5" || c.Status != "BUILT" || len(c.Path) != 3 || c.Purpose != "HS_CLIENT_REND" || c.RendQuery != "forumaddr" ||
		c.SOCKSUsername != "crawl-1/forumaddr.onion:80" || c.SOCKSPassword != "vigil" {
		t.Fatalf("circuit = %+v", c)
	}
	if circs[1].Purpose != "GENERAL" || circs[1].SOCKSUsername != "" {
		t.Fatalf("circuit = %+v", circs[1])
	}
	if err := ctl.NewNym(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ctl.SetEvents(ctx, "STREAM"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ctl.Events():
		se, ok := ParseStreamEvent(ev)
		if !ok || se.ID != "12" || se.Status != "SUCCEEDED" || se.CircuitID != "5" || se.Target != "forumaddr.onion:80" || se.SOCKSUsername != "crawl-1/forumaddr.onion:80" {
			t.Fatalf("stream event %q parsed as %+v", ev, se)
		}
	case <-ctx.Done():
		t.Fatal("no STREAM event")
	}
	if _, err := ctl.Do(ctx, "BOGUS"); err == nil || !strings.Contains(err.Error(), "510") {
		t.Fatalf("unknown command: %v, want the 510 reply", err)
	}
}

func TestControlRejectsAWrongCookie(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := fakeControl(t, []byte("right"), nil)
	wrong := filepath.Join(t.TempDir(), "cookie")
	os.WriteFile(wrong, []byte("wrong"), 0o600)
	if _, err := DialControl(ctx, addr, wrong); err == nil || !strings.Contains(err.Error(), "515") {
		t.Fatalf("DialControl with a wrong cookie = %v, want tor's 515", err)
	}
}

func TestParseBootstrap(t *testing.T) {
	b, err := ParseBootstrap(`NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`)
	if err != nil || !b.Done() || b.Tag != "done" {
		t.Fatalf("%+v, %v", b, err)
	}
	b, err = ParseBootstrap(`WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED`)
	if err != nil || b.Progress != 5 || b.Warning != "Connection refused" {
		t.Fatalf("%+v, %v", b, err)
	}
	if _, err := ParseBootstrap("garbage"); err == nil {
		t.Fatal("garbage parsed")
	}
}
