package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRolesRefuseBadConfiguration: the split roles fail at once, with a
// usage error that says what to do, and never echo a credential.
func TestRolesRefuseBadConfiguration(t *testing.T) {
	const secret = "hunter2-do-not-log"
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of the error
	}{
		{"a processing worker with the embedded index points at Elasticsearch or serve",
			nil, []string{"worker", "--role", "process"}, []string{"ELASTICSEARCH_URL", "vigil serve", "--role crawl"}},
		{"a worker of both roles with the embedded index is refused too",
			nil, []string{"worker"}, []string{"ELASTICSEARCH_URL", "vigil serve"}},
		{"a crawl worker needs a Temporal address",
			nil, []string{"worker", "--role", "crawl", "--direct"}, []string{"TEMPORAL_ADDRESS is not set"}},
		{"serve needs a Temporal address",
			nil, []string{"serve"}, []string{"TEMPORAL_ADDRESS is not set"}},
		{"an unknown role is named",
			nil, []string{"worker", "--role", "index"}, []string{`"index" is not crawl, process or all`}},
		{"credentials in ELASTICSEARCH_URL are refused without echoing them",
			map[string]string{"ELASTICSEARCH_URL": "http://elastic:" + secret + "@127.0.0.1:9200"}, []string{"serve"},
			[]string{"ELASTICSEARCH_USERNAME", "ELASTICSEARCH_PASSWORD"}},
		{"a malformed ELASTICSEARCH_URL is not echoed",
			map[string]string{"ELASTICSEARCH_URL": "127.0.0.1:9200/" + secret}, []string{"worker", "--role", "process"},
			[]string{"not an http(s) URL"}},
		{"shards must be a number",
			map[string]string{"ELASTICSEARCH_URL": "http://127.0.0.1:9200", "VIGIL_ES_SHARDS": "many"}, []string{"serve"},
			[]string{`VIGIL_ES_SHARDS="many"`}},
		{"crawl concurrency must be positive",
			map[string]string{"VIGIL_CRAWL_CONCURRENCY": "0"}, []string{"worker", "--role", "crawl"},
			[]string{"VIGIL_CRAWL_CONCURRENCY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"TEMPORAL_ADDRESS", "ELASTICSEARCH_URL", "VIGIL_ES_SHARDS", "VIGIL_CRAWL_CONCURRENCY", "VIGIL_TOKEN"} {
				t.Setenv(name, "")
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Chdir(t.TempDir())
			root := newRoot()
			root.SetArgs(append(tc.args, "--data", t.TempDir()))
			err := root.ExecuteContext(context.Background())
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v; want a usage error (exit 2)", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q echoes the credential", err)
			}
		})
	}
}

func TestElasticFromEnv(t *testing.T) {
	t.Setenv("ELASTICSEARCH_URL", "http://es1:9200, https://es2:9200")
	t.Setenv("ELASTICSEARCH_USERNAME", "vigil")
	t.Setenv("ELASTICSEARCH_PASSWORD", "pw")
	t.Setenv("ELASTICSEARCH_API_KEY", "key")
	t.Setenv("VIGIL_INDEX_PREFIX", "unit7")
	t.Setenv("VIGIL_ES_SHARDS", "6")
	t.Setenv("VIGIL_ES_REPLICAS", "1")
	cfg, err := elasticFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.URLs, []string{"http://es1:9200", "https://es2:9200"}) || cfg.Username != "vigil" || cfg.Password != "pw" ||
		cfg.APIKey != "key" || cfg.IndexPrefix != "unit7" || cfg.Shards != 6 || cfg.Replicas != 1 {
		t.Fatalf("config = %+v", cfg)
	}
	t.Setenv("ELASTICSEARCH_URL", "")
	if cfg, err := elasticFromEnv(); err != nil || len(cfg.URLs) != 0 {
		t.Fatalf("without ELASTICSEARCH_URL: %+v, %v; want no URLs (the embedded index)", cfg, err)
	}
}

// TestServeWithAnUnreachableElasticsearch: with ELASTICSEARCH_URL set, serve
// opens the Elasticsearch store (not the embedded index) and, when the
// cluster does not answer, fails with an error that says so and does not
// carry the password.
func TestServeWithAnUnreachableElasticsearch(t *testing.T) {
	const secret = "hunter2-do-not-log"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Setenv("ELASTICSEARCH_URL", "http://"+closed)
	t.Setenv("ELASTICSEARCH_USERNAME", "elastic")
	t.Setenv("ELASTICSEARCH_PASSWORD", secret)
	t.Setenv("TEMPORAL_ADDRESS", closed)
	t.Setenv("VIGIL_TOKEN", "")
	data := t.TempDir()
	root := newRoot()
	root.SetArgs([]string{"serve", "--data", data, "--listen", "127.0.0.1:0"})
	err = root.ExecuteContext(context.Background())
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "open the Elasticsearch index") {
		t.Fatalf("error = %v; want a failure to open the Elasticsearch index", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q carries the password", err)
	}
	if _, err := os.Stat(filepath.Join(data, "index")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("serve with Elasticsearch created an embedded index (%v)", err)
	}
}

// TestExposedAPIRefusesLabModeAndWeakTokens: an API listening beyond
// loopback refuses lab mode (--direct would let a remote caller crawl the
// server's local services) and a VIGIL_TOKEN shorter than 32 characters or
// not random-looking; both are usage errors (exit 2). On loopback both are
// allowed.
func TestExposedAPIRefusesLabModeAndWeakTokens(t *testing.T) {
	const strong = "Zk4q-9vR_t2LmXw7bN0cYp5sHa8dGe3JfU1oQiKrVz6"
	for _, tc := range []struct {
		name   string
		listen string
		direct bool
		token  string
		want   string // "" means accepted
	}{
		{"lab mode on loopback is allowed", "127.0.0.1:0", true, "", ""},
		{"lab mode beyond loopback is refused", "0.0.0.0:0", true, strong, "--direct"},
		{"lab mode on a LAN address is refused", "192.0.2.10:8080", true, strong, "--direct"},
		{"a short token beyond loopback is refused", "0.0.0.0:0", false, "abc", "32"},
		{"a repetitive token beyond loopback is refused", "0.0.0.0:0", false, strings.Repeat("ab", 20), "random"},
		{"a random token beyond loopback is accepted", "0.0.0.0:0", false, strong, ""},
		{"a short token on loopback is accepted", "127.0.0.1:0", false, "abc", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Listen, cfg.Direct, cfg.Token = tc.listen, tc.direct, tc.token
			err := newTestMain(cfg, io.Discard).checkConfig()
			var ue usageError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkConfig = %v; want it accepted", err)
			case tc.want != "" && (!errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("checkConfig = %v; want a usage error saying %q", err, tc.want)
			case tc.token != "" && err != nil && strings.Contains(err.Error(), tc.token):
				t.Fatalf("checkConfig echoes the token: %v", err)
			}
		})
	}
}
