package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil/web"
)

// apiClient talks to a running `vigil up` or `vigil serve`.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// addServerFlag adds --server (default $VIGIL_SERVER or the local default).
func addServerFlag(cmd *cobra.Command, server *string) {
	cmd.Flags().StringVar(server, "server", envOr("VIGIL_SERVER", "http://127.0.0.1:8080"), "URL of the Vigil API")
}

func newAPIClient(server string) (*apiClient, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q is not an http(s) URL", server)
	}
	return &apiClient{
		base:  strings.TrimRight(server, "/"),
		token: os.Getenv("VIGIL_TOKEN"),
		http:  &http.Client{Timeout: 60 * time.Second},
	}, nil
}

// do sends in as JSON (no body when nil) and decodes a JSON answer into out
// (ignored when nil). API errors come back as their message; an unreachable
// server says how to start one.
func (c *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	if in == nil {
		return c.send(ctx, method, path, "", nil, out)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.send(ctx, method, path, "application/json", raw, out)
}

// send sends body with contentType (no body when contentType is empty) and
// decodes the JSON answer into out, with do's error handling.
func (c *apiClient) send(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if contentType != "" {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("cannot reach the Vigil API at %s (start it with `vigil up`, or pass --server): %v", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read API response: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e web.ErrorResponse
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("API answered %s", resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("unexpected API response: %w", err)
	}
	return nil
}

// writeJSONLines prints items as JSON Lines, one per line.
func writeJSONLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
