package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"testing"

	"vigil"
)

func TestCSVOpensWithACSVParser(t *testing.T) {
	findings := append(slices.Clone(testFindings), vigil.Finding{ID: "f10", Kind: vigil.KindEmail, Value: "x@y.z",
		Snippet: "=HYPERLINK(\"http://evil\"), with \"quotes\",\nand a newline", URL: "http://a.onion/?a=1,2"})
	var out bytes.Buffer
	if err := WriteFormat(&out, "csv", findings, Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the export: %v", err)
	}
	if len(rows) != len(findings)+1 || !slices.Equal(rows[0], CSVHeader) {
		t.Fatalf("%d rows, header %v; want %d rows under %v", len(rows), rows[0], len(findings)+1, CSVHeader)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	first := rows[1]
	if first[col["finding_id"]] != "f1" || first[col["value"]] != "seller@example.com" || first[col["url"]] != "http://forumabc.onion/t/1" ||
		first[col["captured_at"]] != "2026-11-02T10:00:00Z" || first[col["document_id"]] != "d1" || first[col["offset"]] != "10" {
		t.Errorf("first row %v lacks its provenance", first)
	}
	if got := rows[3][col["value"]]; got != "'+14155550123" {
		t.Errorf("phone cell %q; want it quoted against formula evaluation", got)
	}
	last := rows[len(rows)-1]
	if last[col["snippet"]] != "'=HYPERLINK(\"http://evil\"), with \"quotes\",\nand a newline" || last[col["url"]] != "http://a.onion/?a=1,2" {
		t.Errorf("last row %q: snippet or URL not preserved (formula defused)", last)
	}
}

func TestJSONLIsOneFindingPerLine(t *testing.T) {
	var out bytes.Buffer
	if err := WriteFormat(&out, "jsonl", testFindings, Options{}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	var got []vigil.Finding
	for sc.Scan() {
		var f vigil.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, f)
	}
	if len(got) != len(testFindings) || got[0].URL != testFindings[0].URL || !got[0].CapturedAt.Equal(testFindings[0].CapturedAt) || got[6].Value != "o'brien_shop" {
		t.Fatalf("read back %+v", got)
	}
}

func TestWriteFormatRejectsUnknownFormat(t *testing.T) {
	if err := WriteFormat(&bytes.Buffer{}, "xml", nil, Options{}); err == nil {
		t.Fatal("format xml accepted")
	}
}
