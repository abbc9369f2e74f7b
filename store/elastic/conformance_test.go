package elastic_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil"
	"vigil/store/elastic"
	"vigil/store/storetest"
)

// runID makes this run's index prefixes unique on a shared cluster.
var runID = fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)

var storeSeq atomic.Int64

// TestConformance runs the shared conformance suite against a live cluster
// at ELASTICSEARCH_URL (with ELASTICSEARCH_USERNAME / ELASTICSEARCH_PASSWORD
// or ELASTICSEARCH_API_KEY when it needs them). Each store gets its own
// index prefix, and its templates and indices are deleted when its test
// ends.
func TestConformance(t *testing.T) {
	addr := os.Getenv("ELASTICSEARCH_URL")
	if addr == "" {
		t.Skip("ELASTICSEARCH_URL not set: live Elasticsearch conformance not run")
	}
	storetest.Run(t, func(t *testing.T) vigil.Store {
		prefix := fmt.Sprintf("vigiltest-%s-%d", runID, storeSeq.Add(1))
		cfg := elastic.Config{
			URLs:        strings.Split(addr, ","),
			Username:    os.Getenv("ELASTICSEARCH_USERNAME"),
			Password:    os.Getenv("ELASTICSEARCH_PASSWORD"),
			APIKey:      os.Getenv("ELASTICSEARCH_API_KEY"),
			IndexPrefix: prefix,
		}
		s, err := elastic.Open(t.Context(), cfg)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() {
			s.Close()
			if err := dropPrefix(cfg); err != nil {
				t.Errorf("clean up %s: %v", prefix, err)
			}
		})
		return s
	})
}

// dropPrefix deletes the indices and index templates Open created for
// cfg.IndexPrefix.
func dropPrefix(cfg elastic.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Names, not wildcards: action.destructive_requires_name is true by
	// default in Elasticsearch 8.
	var indices, templates []string
	for _, kind := range []string{"pages", "findings", "images"} {
		indices = append(indices, cfg.IndexPrefix+"-"+kind+"-v1")
		templates = append(templates, cfg.IndexPrefix+"-"+kind)
	}
	for _, path := range []string{
		"/" + strings.Join(indices, ",") + "?ignore_unavailable=true",
		"/_index_template/" + strings.Join(templates, ","),
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, strings.TrimRight(cfg.URLs[0], "/")+path, nil)
		if err != nil {
			return err
		}
		switch {
		case cfg.APIKey != "":
			req.Header.Set("Authorization", "ApiKey "+cfg.APIKey)
		case cfg.Username != "":
			req.SetBasicAuth(cfg.Username, cfg.Password)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode >= 300 && res.StatusCode != http.StatusNotFound {
			return fmt.Errorf("DELETE %s: status %d", path, res.StatusCode)
		}
	}
	return nil
}
