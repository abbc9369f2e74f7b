package vigil_test

import (
	"testing"
	"time"

	"vigil"
)

func TestQueryPlan(t *testing.T) {
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name              string
		q                 vigil.Query
		offset, limit, nc int
		code              string
	}{
		{name: "a zero limit means the default", q: vigil.Query{Text: "a -b"}, limit: vigil.DefaultSearchLimit, nc: 2},
		{name: "a large limit is cut to the maximum", q: vigil.Query{Offset: 40, Limit: 5000}, offset: 40, limit: vigil.MaxSearchLimit},
		{name: "a negative offset is invalid", q: vigil.Query{Offset: -1}, code: vigil.EINVALID},
		{name: "a negative limit is invalid", q: vigil.Query{Limit: -1}, code: vigil.EINVALID},
		{name: "from not before to is invalid", q: vigil.Query{From: day, To: day}, code: vigil.EINVALID},
		{name: "from alone is fine", q: vigil.Query{From: day}, limit: vigil.DefaultSearchLimit},
		{name: "malformed text is invalid", q: vigil.Query{Text: `"unclosed`}, code: vigil.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.q.Plan()
			if code := vigil.ErrorCode(err); code != tc.code {
				t.Fatalf("Plan() error %v, want code %q", err, tc.code)
			}
			if err == nil && (p.Offset != tc.offset || p.Limit != tc.limit || len(p.Clauses) != tc.nc) {
				t.Errorf("Plan() = %+v; want offset %d, limit %d, %d clauses", p, tc.offset, tc.limit, tc.nc)
			}
		})
	}
}

func TestFindingQueryPlan(t *testing.T) {
	for _, tc := range []struct {
		name          string
		q             vigil.FindingQuery
		offset, limit int
		code          string
	}{
		{name: "a zero limit means the default", limit: vigil.DefaultFindingLimit},
		{name: "a large limit is cut to the maximum", q: vigil.FindingQuery{Offset: 3, Limit: 1 << 20}, offset: 3, limit: vigil.MaxFindingLimit},
		{name: "a negative offset is invalid", q: vigil.FindingQuery{Offset: -1}, code: vigil.EINVALID},
		{name: "a negative limit is invalid", q: vigil.FindingQuery{Limit: -5}, code: vigil.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.q.Plan()
			if code := vigil.ErrorCode(err); code != tc.code {
				t.Fatalf("Plan() error %v, want code %q", err, tc.code)
			}
			if err == nil && (p.Offset != tc.offset || p.Limit != tc.limit) {
				t.Errorf("Plan() = %+v; want offset %d, limit %d", p, tc.offset, tc.limit)
			}
		})
	}
}
