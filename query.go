package vigil

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Query page limits, the same for every store.
const (
	DefaultSearchLimit  = 20    // Query.Limit 0
	MaxSearchLimit      = 1000  // larger Query limits are cut to it
	DefaultFindingLimit = 100   // FindingQuery.Limit 0
	MaxFindingLimit     = 10000 // larger FindingQuery limits are cut to it
)

// QueryPlan is a Query validated, with its defaults applied and its text
// parsed; the stores build their requests from it.
type QueryPlan struct {
	Clauses []QueryClause // Query.Text as ParseQueryText splits it
	Offset  int
	Limit   int // DefaultSearchLimit for 0, at most MaxSearchLimit
}

// Plan validates q the same way for every store: a negative offset or
// limit, From not before To (when both are set) and malformed text (see
// ParseQueryText) are EINVALID errors. A zero limit means
// DefaultSearchLimit; larger ones are cut to MaxSearchLimit.
func (q Query) Plan() (QueryPlan, error) {
	if q.Offset < 0 || q.Limit < 0 {
		return QueryPlan{}, Errorf(EINVALID, "offset and limit must not be negative")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return QueryPlan{}, Errorf(EINVALID, "from must be before to")
	}
	clauses, err := ParseQueryText(q.Text)
	if err != nil {
		return QueryPlan{}, err
	}
	return QueryPlan{Clauses: clauses, Offset: q.Offset, Limit: pageLimit(q.Limit, DefaultSearchLimit, MaxSearchLimit)}, nil
}

// FindingQueryPlan is a FindingQuery validated, with its defaults applied.
type FindingQueryPlan struct {
	Offset int
	Limit  int // DefaultFindingLimit for 0, at most MaxFindingLimit
}

// Plan validates q the same way for every store: a negative offset or
// limit is an EINVALID error. A zero limit means DefaultFindingLimit;
// larger ones are cut to MaxFindingLimit.
func (q FindingQuery) Plan() (FindingQueryPlan, error) {
	if q.Offset < 0 || q.Limit < 0 {
		return FindingQueryPlan{}, Errorf(EINVALID, "offset and limit must not be negative")
	}
	return FindingQueryPlan{Offset: q.Offset, Limit: pageLimit(q.Limit, DefaultFindingLimit, MaxFindingLimit)}, nil
}

// pageLimit is limit with 0 meaning def, cut to most.
func pageLimit(limit, def, most int) int {
	if limit == 0 {
		limit = def
	}
	return min(limit, most)
}

// Query text limits, the same for every store.
const (
	MaxQueryBytes   = 2048
	MaxQueryClauses = 32
)

// QueryClause is one word or "quoted phrase" of a query text, as written.
type QueryClause struct {
	Text   string
	Negate bool // written with a leading -
}

// ParseQueryText splits Query.Text into clauses: whitespace-separated words,
// "double-quoted phrases", and - in front of either to exclude it. Nothing
// else is syntax; each store decides how a clause is analysed. It returns an
// EINVALID error for invalid UTF-8, an unclosed quote, more than
// MaxQueryBytes bytes or MaxQueryClauses clauses.
func ParseQueryText(text string) ([]QueryClause, error) {
	if len(text) > MaxQueryBytes {
		return nil, Errorf(EINVALID, "query text is longer than %d bytes", MaxQueryBytes)
	}
	if !utf8.ValidString(text) {
		return nil, Errorf(EINVALID, "query text is not valid UTF-8")
	}
	var clauses []QueryClause
	rest := text
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			return clauses, nil
		}
		var c QueryClause
		if len(rest) > 1 && rest[0] == '-' && !unicode.IsSpace(rune(rest[1])) {
			c.Negate, rest = true, rest[1:]
		}
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, Errorf(EINVALID, "query text has an unclosed quote")
			}
			c.Text, rest = rest[1:1+end], rest[2+end:]
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			c.Text, rest = rest[:end], rest[end:]
		}
		if len(clauses) == MaxQueryClauses {
			return nil, Errorf(EINVALID, "query text has more than %d words or phrases", MaxQueryClauses)
		}
		clauses = append(clauses, c)
	}
}
