package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/photo/watchlist"
	"vigil/web"
)

// matchRecord is one hit in `match --json` output.
type matchRecord struct {
	ImageURL   string    `json:"image_url"`
	PageURL    string    `json:"page_url"`
	Algorithm  string    `json:"algorithm"`
	Distance   int       `json:"distance"`
	Variant    string    `json:"variant"`
	Band       string    `json:"band"`
	Site       string    `json:"site"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Seen       int       `json:"seen"`
	ImageID    string    `json:"image_id"`
	DocumentID string    `json:"document_id,omitempty"`
	CrawlID    string    `json:"crawl_id,omitempty"`
}

// alertRecord is one alert in `alerts --json` output.
type alertRecord struct {
	RaisedAt  time.Time `json:"raised_at"`
	List      string    `json:"list"`
	Label     string    `json:"label"`
	Algorithm string    `json:"algorithm"`
	Distance  int       `json:"distance"`
	ImageURL  string    `json:"image_url"`
	PageURL   string    `json:"page_url"`
	Site      string    `json:"site"`
	CrawlID   string    `json:"crawl_id,omitempty"`
	ImageID   string    `json:"image_id"`
	EntryID   string    `json:"entry_id"`
	Hash      string    `json:"hash"`
}

func newMatchCmd() *cobra.Command {
	var (
		server          string
		maxDist, phDist int
		limit           int
		asJSON          bool
		caseID          string
	)
	cmd := &cobra.Command{
		Use:   "match [flags] IMAGE",
		Short: "Find where a photo appears: PDQ and pHash search of everything crawled",
		Long: `match uploads IMAGE to the Vigil API, which hashes it in memory (the photo is
never stored) with its rotations, mirrors and crops, and lists every crawled
image within the Hamming radius, best first. Each hit has a band: "match"
(PDQ ≤ 31 with quality ≥ 50, pHash ≤ 10 or ≤ 8 through a crop, or
identical bytes) or "review" (PDQ 32–63, pHash 11–12 or 9–12 through a
crop). --max-distance 31 --phash-distance 10 keeps the match band and the
crops' 9–10.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			if maxDist < 0 || maxDist > 256 || phDist < 0 || phDist > 64 {
				return usagef("--max-distance must be 0..256 and --phash-distance 0..64")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read %s: %w", args[0], err)
			}
			if len(data) > web.MaxPhotoBytes {
				return fmt.Errorf("%s is over %d MiB", args[0], web.MaxPhotoBytes>>20)
			}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, err := mw.CreateFormFile("image", filepath.Base(args[0]))
			if err != nil {
				return err
			}
			fw.Write(data)
			if err := mw.Close(); err != nil {
				return err
			}
			v := url.Values{}
			for k, n := range map[string]int{"max_distance": maxDist, "phash_distance": phDist, "limit": limit} {
				if n > 0 {
					v.Set(k, strconv.Itoa(n))
				}
			}
			if caseID != "" {
				v.Set("case", caseID)
			}
			var hits []vigil.ImageHit
			if err := c.send(cmd.Context(), "POST", "/api/match?"+v.Encode(), mw.FormDataContentType(), body.Bytes(), &hits); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !asJSON {
				fmt.Fprintf(out, "%d hits\n", len(hits))
			}
			enc := json.NewEncoder(out)
			for _, h := range hits {
				im := h.Image
				if asJSON {
					if err := enc.Encode(matchRecord{ImageURL: im.URL, PageURL: im.PageURL, Algorithm: h.Algorithm, Distance: h.Distance,
						Variant: h.Variant, Band: h.Band, Site: im.Site, FirstSeen: h.FirstSeen, LastSeen: h.LastSeen, Seen: h.Seen,
						ImageID: im.ID, DocumentID: im.DocumentID, CrawlID: im.CrawlID}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%-6s %-6s d=%-3d %-18s %s\n    page %s\n    seen %s .. %s (%d)\n", h.Band, h.Algorithm, h.Distance, h.Variant,
					im.URL, im.PageURL, h.FirstSeen.Format("2006-01-02 15:04"), h.LastSeen.Format("2006-01-02 15:04"), h.Seen)
			}
			return nil
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().IntVar(&maxDist, "max-distance", 0, "largest PDQ distance listed (default 63: the match and review bands)")
	cmd.Flags().IntVar(&phDist, "phash-distance", 0, "largest pHash64 distance listed (default 12)")
	cmd.Flags().IntVar(&limit, "limit", 0, "maximum hits (default 100)")
	cmd.Flags().StringVar(&caseID, "case", "", "case ID recorded in the audit log")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one hit per line")
	return cmd
}

func newWatchlistCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "watchlist",
		Short: "Import and list watchlists of known hashes; crawled images are checked against them",
	}
	var server, name string
	imp := &cobra.Command{
		Use:   "import [flags] FILE",
		Short: "Import a CSV or TSV of hashes with labels (pdq, phash, md5, sha256)",
		Long: `import reads FILE, CSV or TSV (a tab on the first line), with lines
hash,label or algorithm,hash,label, or a header naming the columns
(algorithm, hash, label, or pdq / phash / md5 / sha256). pHash (16 hex
digits) and MD5 (32) are recognised by length; 64 hex digits are PDQ or
SHA-256, so they need an algorithm column or a header. Re-importing is
idempotent. Every image crawled afterwards is checked: a hit raises an alert
(vigil alerts).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read %s: %w", args[0], err)
			}
			// Check locally first for a quick, line-numbered error.
			if _, err := watchlist.Parse(bytes.NewReader(data)); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			list := name
			if list == "" {
				list = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			}
			var res vigil.WatchlistImport
			if err := c.send(cmd.Context(), "POST", "/api/watchlists?name="+url.QueryEscape(list), "text/csv", data, &res); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "watchlist %s: %d hashes, %d added, %d already there\n", res.List, res.Rows, res.Added, res.Updated)
			return nil
		},
	}
	addServerFlag(imp, &server)
	imp.Flags().StringVar(&name, "name", "", "watchlist name (default: the file name without extension)")
	var lserver string
	var asJSON bool
	ls := &cobra.Command{
		Use:   "list",
		Short: "List watchlists with their hash counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(lserver)
			if err != nil {
				return err
			}
			var lists []vigil.Watchlist
			if err := c.do(cmd.Context(), "GET", "/api/watchlists", nil, &lists); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			for _, l := range lists {
				if asJSON {
					if err := enc.Encode(l); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%s\t%d hashes (pdq %d, phash %d, md5 %d, sha256 %d)\tupdated %s\n", l.Name, l.Entries,
					l.ByAlgorithm[vigil.AlgoPDQ], l.ByAlgorithm[vigil.AlgoPHash], l.ByAlgorithm[vigil.AlgoMD5], l.ByAlgorithm[vigil.AlgoSHA256],
					l.UpdatedAt.Format("2006-01-02 15:04"))
			}
			if !asJSON && len(lists) == 0 {
				fmt.Fprintln(out, "no watchlists")
			}
			return nil
		},
	}
	addServerFlag(ls, &lserver)
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one list per line")
	cmd.AddCommand(imp, ls)
	return cmd
}

func newAlertsCmd() *cobra.Command {
	var (
		server string
		asJSON bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "alerts [flags]",
		Short: "List watchlist alerts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			if limit < 0 || limit > 10000 {
				return usagef("--limit must be 0..10000")
			}
			var alerts []vigil.Alert
			if err := c.do(cmd.Context(), "GET", "/api/alerts?limit="+strconv.Itoa(limit), nil, &alerts); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			if !asJSON {
				fmt.Fprintf(out, "%d alerts\n", len(alerts))
			}
			for _, a := range alerts {
				if asJSON {
					if err := enc.Encode(alertRecord{RaisedAt: a.RaisedAt, List: a.List, Label: a.Label, Algorithm: a.Algorithm,
						Distance: a.Distance, ImageURL: a.ImageURL, PageURL: a.PageURL, Site: a.Site, CrawlID: a.Image.CrawlID,
						ImageID: a.Image.ID, EntryID: a.EntryID, Hash: a.Hash}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%s  %s: %s (%s d=%d)\n    page %s\n    image %s\n", a.RaisedAt.Format("2006-01-02 15:04"), a.List, a.Label,
					a.Algorithm, a.Distance, a.PageURL, a.ImageURL)
			}
			return nil
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one alert per line")
	cmd.Flags().IntVar(&limit, "limit", 100, "maximum alerts")
	return cmd
}
