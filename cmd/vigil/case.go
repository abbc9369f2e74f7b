package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/audit"
	"vigil/evidence"
	"vigil/store/embedded"
)

func newCaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Manage cases (offline, on a stopped data directory)",
	}
	cmd.AddCommand(newCasePurgeCmd())
	return cmd
}

func newCasePurgeCmd() *cobra.Command {
	var dataDir, caseID, user string
	cmd := &cobra.Command{
		Use:   "purge --case ID [--data DIR]",
		Short: "Delete every document, finding, image hash, capture and evidence file of a case",
		Long: `purge deletes a case from the embedded index under DATA (documents, findings,
image hashes and raw captures of every crawl of the case) and its evidence
directories (WARC files and signed manifests), then records the purge in
DATA/audit.log. It works on a stopped data directory: while vigil up runs,
the index is locked and purge fails. The crawl state (frontier and pending
captures in DATA/crawlstate.db) and an Elasticsearch index are not purged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if caseID == "" {
				return usagef("--case is required")
			}
			n, err := purgeCase(cmd.Context(), dataDir, caseID, user)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "case %s purged: %d crawls\n", caseID, n)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "vigil-data", "data directory of `vigil up`")
	f.StringVar(&caseID, "case", "", "case ID (required)")
	f.StringVar(&user, "user", envOr("USER", "unknown"), "who purges, for the audit log")
	return cmd
}

// purgeCase deletes a case's crawls from the index and its evidence, checks
// that the index returns nothing of the case any more, and audits the purge.
// It returns the number of crawls purged.
func purgeCase(ctx context.Context, dataDir, caseID, user string) (int, error) {
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dataDir, "index")})
	if err != nil {
		return 0, fmt.Errorf("open the index (is vigil up running?): %w", err)
	}
	defer store.Close()
	crawls, err := caseCrawlIDs(ctx, store, caseID)
	if err != nil {
		return 0, err
	}
	if ents, err := os.ReadDir(evidenceDir(dataDir)); err == nil {
		for _, e := range ents {
			if m, _, err := evidence.ReadManifest(filepath.Join(evidenceDir(dataDir), e.Name())); err == nil && m.CaseID == caseID {
				crawls[e.Name()] = true
			}
		}
	}
	delete(crawls, "") // findings put without a crawl cannot be deleted by crawl
	ids := make([]string, 0, len(crawls))
	for id := range crawls {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	auditLog, err := audit.Open(filepath.Join(dataDir, "audit.log"))
	if err != nil {
		return 0, err
	}
	defer auditLog.Close()
	record := func(result string) error {
		return auditLog.Record(audit.Entry{User: user, Action: "case.purge", CaseID: caseID, Result: result})
	}
	for _, id := range ids {
		if err := store.DeleteCrawl(ctx, id); err != nil {
			record(fmt.Sprintf("error: delete crawl %s: %v", id, err))
			return 0, fmt.Errorf("purge crawl %s: %w", id, err)
		}
	}
	if _, err := evidence.PurgeCase(evidenceDir(dataDir), caseID); err != nil {
		record("error: " + err.Error())
		return 0, err
	}
	left, err := caseCrawlIDs(ctx, store, caseID)
	if err != nil {
		return 0, err
	}
	if len(left) > 0 {
		record(fmt.Sprintf("error: %d crawls still in the index", len(left)))
		return 0, fmt.Errorf("purge case %s: the index still holds %d crawls of it", caseID, len(left))
	}
	if err := record(fmt.Sprintf("%d crawls purged: %v", len(ids), ids)); err != nil {
		return 0, fmt.Errorf("audit the purge: %w", err)
	}
	return len(ids), nil
}

// caseCrawlIDs returns the IDs of the crawls that have documents or
// findings of a case in the index.
func caseCrawlIDs(ctx context.Context, store *embedded.Store, caseID string) (map[string]bool, error) {
	crawls := map[string]bool{}
	for off := 0; ; {
		res, err := store.Search(ctx, vigil.Query{CaseID: caseID, Offset: off, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("find the documents of case %s: %w", caseID, err)
		}
		for _, h := range res.Hits {
			crawls[h.Document.CrawlID] = true
		}
		off += len(res.Hits)
		if len(res.Hits) == 0 || off >= res.Total {
			break
		}
	}
	for off := 0; ; {
		res, err := store.Findings(ctx, vigil.FindingQuery{CaseID: caseID, Offset: off, Limit: 10000})
		if err != nil {
			return nil, fmt.Errorf("find the findings of case %s: %w", caseID, err)
		}
		for _, f := range res.Findings {
			crawls[f.CrawlID] = true
		}
		off += len(res.Findings)
		if len(res.Findings) == 0 || off >= res.Total {
			break
		}
	}
	return crawls, nil
}
