// Package e2e runs the real vigil binary end to end: the embedded Temporal
// server, a worker, the embedded index and the API, driven through the CLI
// as an investigator would. It links the Temporal server, so it is slow to
// compile the first time.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// vigilBin is the binary built once by TestMain.
var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	build := exec.Command("go", "build", "-o", vigilBin, "vigil/cmd/vigil")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build vigil:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// instance is a running `vigil up`.
type instance struct {
	URL  string // API base URL
	Data string
	cmd  *exec.Cmd
	logs *lockedBuffer // stderr
	out  *lockedBuffer // stdout
}

var apiLine = regexp.MustCompile(`Web page and API: (http://\S+?)/?$`)

// startUp runs `vigil up` with extra flags on free loopback ports and waits
// until it prints its API URL.
func startUp(t testing.TB, extra ...string) *instance {
	t.Helper()
	return startUpIn(t, t.TempDir(), extra...)
}

// startUpEnv is startUp with env ("NAME=value") added to the server's
// environment.
func startUpEnv(t testing.TB, env []string, extra ...string) *instance {
	t.Helper()
	return launchUp(t, t.TempDir(), env, extra...)
}

// startUpIn is startUp on the data directory data, which may hold the state
// of an earlier `vigil up` (a restart). In a test (not a benchmark), once
// the instance has stopped, every WARC file its evidence manifests list is
// checked with warcio (checkEvidence).
func startUpIn(t testing.TB, data string, extra ...string) *instance {
	t.Helper()
	return launchUp(t, data, nil, extra...)
}

// launchUp runs `vigil up` on data with env added to its environment.
func launchUp(t testing.TB, data string, env []string, extra ...string) *instance {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		// Cleanups run last registered first: this one after the
		// instance below has stopped and its files are final.
		tt.Cleanup(func() {
			if n := checkEvidence(tt, data); n > 0 {
				tt.Logf("warcio checked %d WARC files", n)
			}
		})
	}
	args := append([]string{"up", "--data", data, "--listen", "127.0.0.1:0", "--temporal-ui-port", "-1"}, extra...)
	cmd := exec.Command(vigilBin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inst := &instance{Data: data, cmd: cmd, logs: logs, out: &lockedBuffer{}}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("vigil up stderr:\n%s", tail(logs.String(), 4000))
		}
	})
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			inst.out.Write(append(sc.Bytes(), '\n'))
			if m := apiLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				urlCh <- m[1]
				sent = true
			}
		}
		if !sent {
			close(urlCh)
		}
	}()
	select {
	case u, ok := <-urlCh:
		if !ok {
			t.Fatalf("vigil up exited before printing its URL:\n%s", tail(logs.String(), 4000))
		}
		inst.URL = u
	case <-time.After(3 * time.Minute):
		t.Fatalf("vigil up did not print its URL within 3 minutes:\n%s", tail(logs.String(), 4000))
	}
	return inst
}

// kill ends the instance with SIGKILL, as a crash would: no deferred
// cleanup runs, nothing is flushed, and it waits until the process is gone.
func (inst *instance) kill(t testing.TB) {
	t.Helper()
	if err := inst.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill vigil up: %v", err)
	}
	_ = inst.cmd.Wait() // "signal: killed"
}

// stop ends the instance as Ctrl-C would and waits until it has exited,
// its files closed.
func (inst *instance) stop(t testing.TB) {
	t.Helper()
	if err := inst.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupt vigil: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- inst.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("vigil did not exit within a minute of Ctrl-C")
	}
}

// runVigil runs the CLI and returns stdout, stderr and the exit code.
func runVigil(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, vigilBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run vigil %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// getJSON GETs an API path and decodes the answer.
func getJSON(t testing.TB, base, path string, out any) int {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

// jsonLines decodes JSON Lines output into maps, failing on any other line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		recs = append(recs, m)
	}
	return recs
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
