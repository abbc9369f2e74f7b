package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/extractors/contacts"
)

// pageRecord is one full-text hit in `search --json` output.
type pageRecord struct {
	Type       string    `json:"type"` // "page"
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	Site       string    `json:"site"`
	Title      string    `json:"title"`
	CapturedAt time.Time `json:"captured_at"`
	Score      float64   `json:"score"`
	Snippet    string    `json:"snippet"`
}

// findingRecord is one contact hit in `search --json` output.
type findingRecord struct {
	Type       string     `json:"type"` // "finding"
	Kind       vigil.Kind `json:"kind"`
	Value      string     `json:"value"`
	URL        string     `json:"url"`
	Site       string     `json:"site"`
	DocumentID string     `json:"document_id"`
	CapturedAt time.Time  `json:"captured_at"`
	Offset     int        `json:"offset"`
	Snippet    string     `json:"snippet"`
	Attr       string     `json:"attr,omitempty"` // where a value outside the text was read (vigil.Finding.Attr)
}

func newSearchCmd() *cobra.Command {
	var (
		server, kind, site, region string
		asJSON                     bool
		limit                      int
	)
	cmd := &cobra.Command{
		Use:   "search [flags] QUERY",
		Short: "Search captured pages, or look a contact up with --kind",
		Long: `search runs a full-text search over captured pages. With --kind it looks a
contact up instead (email, phone, telegram, btc, onion, ...) by its normalised
value, listing every page where it appears. A query that is itself a single
contact (an email, a phone number, a wallet) is looked up as one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			query := strings.TrimSpace(args[0])
			if query == "" {
				return usagef("empty query")
			}
			out := cmd.OutOrStdout()
			k, value := contactQuery(query, vigil.Kind(strings.ToLower(kind)), region)
			if k == "" {
				return searchPages(cmd, c, query, site, limit, asJSON, out)
			}
			v := url.Values{"kind": {string(k)}, "value": {value}, "site": {site}, "limit": {fmt.Sprint(limit)}}
			var res vigil.FindingResult
			if err := c.do(cmd.Context(), "GET", "/api/findings?"+v.Encode(), nil, &res); err != nil {
				return err
			}
			enc := json.NewEncoder(out)
			if !asJSON {
				fmt.Fprintf(out, "%s %s appears %d times\n", k, value, res.Total)
			}
			for _, f := range res.Findings {
				if asJSON {
					if err := enc.Encode(findingRecord{Type: "finding", Kind: f.Kind, Value: f.Value, URL: f.URL, Site: f.Site,
						DocumentID: f.DocumentID, CapturedAt: f.CapturedAt, Offset: f.Offset, Snippet: f.Snippet, Attr: f.Attr}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%s  %s\n    %s\n", f.CapturedAt.Format("2006-01-02 15:04"), f.URL, f.Snippet)
			}
			return nil
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().StringVar(&kind, "kind", "", "look the query up as a contact of this kind (email, phone, telegram, btc, onion, ...)")
	cmd.Flags().StringVar(&site, "site", "", "only this site (host[:port])")
	cmd.Flags().StringVar(&region, "region", "US", "country for phone numbers written without a country code")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one hit per line")
	cmd.Flags().IntVar(&limit, "limit", 100, "maximum hits to print")
	return cmd
}

// contactQuery decides whether query is a contact lookup. With kind set it
// normalises the query as that kind (falling back to lower case); without,
// it reports a kind only when the whole query is one contact.
func contactQuery(query string, kind vigil.Kind, region string) (vigil.Kind, string) {
	fs := contacts.New(contacts.Config{Region: region}).Extract(&vigil.Page{Text: query})
	for _, f := range fs {
		if kind != "" && f.Kind == kind {
			return kind, f.Value
		}
	}
	if kind != "" {
		return kind, strings.ToLower(strings.TrimPrefix(query, "@"))
	}
	if len(fs) >= 1 && fs[0].Offset >= 0 && len(strings.Fields(query)) <= 4 {
		// Accept only when one kind explains the whole query.
		for _, f := range fs[1:] {
			if f.Kind != fs[0].Kind || f.Value != fs[0].Value {
				return "", ""
			}
		}
		return fs[0].Kind, fs[0].Value
	}
	return "", ""
}

func searchPages(cmd *cobra.Command, c *apiClient, query, site string, limit int, asJSON bool, out io.Writer) error {
	v := url.Values{"q": {query}, "site": {site}, "limit": {fmt.Sprint(min(limit, 1000))}}
	var res vigil.SearchResult
	if err := c.do(cmd.Context(), "GET", "/api/search?"+v.Encode(), nil, &res); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	if !asJSON {
		fmt.Fprintf(out, "%d pages match\n", res.Total)
	}
	for _, h := range res.Hits {
		d := h.Document
		if asJSON {
			if err := enc.Encode(pageRecord{Type: "page", ID: d.ID, URL: d.URL, Site: d.Site, Title: d.Title,
				CapturedAt: d.CapturedAt, Score: h.Score, Snippet: h.Snippet}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(out, "%s\n  %s  (%s)\n", d.Title, d.URL, d.CapturedAt.Format("2006-01-02 15:04"))
		if h.Snippet != "" {
			fmt.Fprintf(out, "  %s\n", h.Snippet)
		}
	}
	return nil
}
