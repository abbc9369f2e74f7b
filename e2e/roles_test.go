package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkclient "go.temporal.io/sdk/client"

	"vigil"
	"vigil/internal/demo"
	"vigil/workflows"
	"vigil/workflows/devserver"
)

// startRole runs a vigil subcommand of a split deployment (serve, worker)
// with env added to the environment, and waits until it prints a line that
// ready matches. For serve, the instance's URL is its API.
func startRole(t *testing.T, env []string, ready *regexp.Regexp, args ...string) *instance {
	t.Helper()
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
	inst := &instance{cmd: cmd, logs: logs, out: &lockedBuffer{}}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		if t.Failed() {
			t.Logf("vigil %s (pid %d) stderr:\n%s", strings.Join(args[:min(len(args), 3)], " "), cmd.Process.Pid, tail(logs.String(), 3000))
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			inst.out.Write(append(sc.Bytes(), '\n'))
			line := sc.Text()
			if m := apiLine.FindStringSubmatch(line); m != nil {
				inst.URL = m[1] // written before the ready line is sent
			}
			if !sent && ready.MatchString(line) {
				lines <- line
				sent = true
			}
		}
		if !sent {
			close(lines)
		}
	}()
	select {
	case _, ok := <-lines:
		if !ok {
			t.Fatalf("vigil %v exited before it was ready:\n%s", args, tail(logs.String(), 4000))
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("vigil %v was not ready within 2 minutes:\n%s", args, tail(logs.String(), 4000))
	}
	return inst
}

// TestSplitRolesSurviveACrawlWorkerKill runs the production roles as
// separate processes on loopback: a Temporal server, `vigil serve` (API and,
// with the embedded index, processing) and two `vigil worker --role crawl`
// sharing one data directory. A crawl of a few hundred pages is under way
// when the worker running its current batch is killed with SIGKILL; the other
// worker takes the batch over, and the crawl finishes with every page
// indexed exactly once (count and deterministic IDs) and searchable through
// serve's API.
func TestSplitRolesSurviveACrawlWorkerKill(t *testing.T) {
	t.Parallel()
	site := demo.New(demo.ForPages(300))
	pages := site.Pages()
	if len(pages) < 200 {
		t.Fatalf("demo site has %d pages, the test needs at least 200", len(pages))
	}
	// Hold the crawl once half of the site's requests are served: batches of
	// 25 pages have committed and been indexed by then.
	g := newGate(site, (len(pages)+len(site.Images()))/2)
	srv := httptest.NewServer(g)
	defer srv.Close()
	defer g.open()

	temporal, err := devserver.Start(devserver.Config{DataDir: t.TempDir(), UIPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(temporal.Stop) // after the processes, which are cleaned up first
	env := []string{"TEMPORAL_ADDRESS=" + temporal.FrontendAddress(), "TEMPORAL_NAMESPACE=" + temporal.Namespace(), "ELASTICSEARCH_URL=", "VIGIL_TOKEN="}
	data := t.TempDir()

	serve := startRole(t, env, regexp.MustCompile(`^Press Ctrl-C`), "serve", "--data", data, "--listen", "127.0.0.1:0",
		"--batch-size", "25", "--heartbeat-timeout", "4s")
	if serve.URL == "" {
		t.Fatal("vigil serve printed no API URL")
	}
	workerArgs := []string{"worker", "--role", "crawl", "--direct", "--data", data, "--concurrency", "4"}
	workers := []*instance{
		startRole(t, env, regexp.MustCompile(`^Press Ctrl-C`), workerArgs...),
		startRole(t, env, regexp.MustCompile(`^Press Ctrl-C`), workerArgs...),
	}

	out, errOut, code := runVigil(t, "crawl", "--server", serve.URL, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", srv.URL+"/")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}
	id := strings.Fields(out)[1]
	before := pollCrawl(t, serve.URL, id, 3*time.Minute, func(st vigil.CrawlStatus) bool {
		return st.Indexed >= 25 && g.blocked.Load() > 0
	})

	// Kill the worker that runs the held batch: Temporal knows it by the
	// identity the worker gives itself ("PID@host@vigil-roles").
	tc, err := sdkclient.Dial(sdkclient.Options{HostPort: temporal.FrontendAddress(), Namespace: temporal.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var holder string
	waitFor(t, "the held batch is started on a worker", time.Minute, func() bool {
		desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range desc.GetPendingActivities() {
			if a.GetActivityType().GetName() == workflows.Contract.CrawlBatch.Name && a.GetLastWorkerIdentity() != "" {
				holder = a.GetLastWorkerIdentity()
				return true
			}
		}
		return false
	})
	var victim, survivor *instance
	for i, w := range workers {
		if strings.HasPrefix(holder, strconv.Itoa(w.cmd.Process.Pid)+"@") {
			victim, survivor = w, workers[1-i]
		}
	}
	if victim == nil {
		t.Fatalf("the held batch runs on %q, neither crawl worker (pids %d, %d)", holder, workers[0].cmd.Process.Pid, workers[1].cmd.Process.Pid)
	}
	victim.kill(t)
	if before.Done() || before.Pages >= len(pages) {
		t.Fatalf("the crawl was not in the middle when the worker was killed: %+v", before)
	}
	servedAtKill := g.served.Load()
	t.Logf("killed crawl worker %s at %d of %d pages fetched, %d indexed", holder, before.Pages, len(pages), before.Indexed)
	g.open()

	st := pollCrawl(t, serve.URL, id, 5*time.Minute, func(st vigil.CrawlStatus) bool { return st.Done() })
	if st.State != "finished" || st.Pages != len(pages) || st.Indexed != len(pages) {
		t.Fatalf("after the kill the crawl ended %+v; want finished with %d pages fetched and indexed once", st, len(pages))
	}
	if g.served.Load() <= servedAtKill {
		t.Fatalf("the site served no request after the kill: the surviving worker did not take over")
	}
	if survivor.cmd.ProcessState != nil {
		t.Fatalf("the surviving worker exited: %v", survivor.cmd.ProcessState)
	}

	// Exactly once, by count and by ID.
	var stats vigil.Stats
	getJSON(t, serve.URL, "/api/stats", &stats)
	if stats.Documents != len(pages) {
		t.Fatalf("index holds %d documents, the site has %d pages", stats.Documents, len(pages))
	}
	for _, p := range pages {
		docID := vigil.DocumentID(id, srv.URL+p)
		var doc struct{ Document vigil.Document }
		if code := getJSON(t, serve.URL, "/api/documents/"+docID, &doc); code != 200 || doc.Document.URL != srv.URL+p {
			t.Fatalf("page %s: GET document %s answered %d (%q)", p, docID, code, doc.Document.URL)
		}
	}
	if stats.Images == 0 {
		t.Fatalf("no image hashes indexed")
	}

	// Searchable through serve: a page's title finds it, and its raw
	// capture (written by a crawl worker) is served.
	var doc struct{ Document vigil.Document }
	getJSON(t, serve.URL, "/api/documents/"+vigil.DocumentID(id, srv.URL+pages[len(pages)/2]), &doc)
	var res vigil.SearchResult
	getJSON(t, serve.URL, "/api/search?q="+url.QueryEscape(doc.Document.Title)+"&limit=50", &res)
	hit := false
	for _, h := range res.Hits {
		hit = hit || h.Document.ID == doc.Document.ID
	}
	if !hit {
		t.Fatalf("full-text search for %q did not return its page (%d hits)", doc.Document.Title, res.Total)
	}
	resp, err := http.Get(serve.URL + "/api/documents/" + doc.Document.ID + "/capture")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || sha256Hex(body) != doc.Document.SHA256 {
		t.Fatalf("GET the capture of %s: %d, %d bytes whose SHA-256 is not the document's", doc.Document.URL, resp.StatusCode, len(body))
	}

	// The evidence both workers wrote for the crawl verifies as one archive.
	out, errOut, code = runVigil(t, "evidence", "verify", filepath.Join(data, "evidence", id))
	if code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Fatalf("vigil evidence verify of the crawl: exit %d\n%s%s", code, out, errOut)
	}
	// And warcio reads every file of it, the killed worker's included.
	if n := checkEvidence(t, data); n == 0 {
		t.Fatal("the crawl's manifest lists no WARC file")
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
