package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"vigil"
)

// stixBase is where the official STIX 2.1 JSON schemas live; testdata/stix2.1
// holds the ones Vigil's bundles need, under the same relative paths
// (testdata/stix2.1/README.md says where they come from).
const stixBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// stixLoader serves the vendored schemas for their official URLs. The
// bundle schema also names the schemas of every object type Vigil never
// emits (attack-pattern, malware, file, ...), which are not vendored: they
// load as the schema false, which no object matches, so an object of such a
// type would fail the bundle's check instead of passing unchecked.
type stixLoader struct{ t *testing.T }

func (l stixLoader) Load(url string) (any, error) {
	rel, ok := strings.CutPrefix(url, stixBase)
	if !ok {
		return nil, fmt.Errorf("schema %s is not under %s", url, stixBase)
	}
	f, err := os.Open(filepath.Join("testdata", "stix2.1", filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		return false, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

var (
	stixOnce    sync.Once
	stixSchemas map[string]*jsonschema.Schema // by object type; "bundle" for the bundle
	stixErr     error
)

// schemaFor returns the compiled official schema of a STIX object type:
// the SDO, SRO, SCO or marking-definition schema, cyber-observable-core for
// custom ("x-") observables, and the bundle schema for "bundle".
func schemaFor(t *testing.T, typ string) *jsonschema.Schema {
	t.Helper()
	stixOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.UseLoader(stixLoader{t})
		stixSchemas = map[string]*jsonschema.Schema{}
		for typ, rel := range map[string]string{
			"bundle": "common/bundle.json", "marking-definition": "common/marking-definition.json",
			"identity": "sdos/identity.json", "indicator": "sdos/indicator.json", "report": "sdos/report.json",
			"relationship": "sros/relationship.json", "email-addr": "observables/email-addr.json",
			"domain-name": "observables/domain-name.json", "user-account": "observables/user-account.json",
			"x-": "common/cyber-observable-core.json",
		} {
			sch, err := c.Compile(stixBase + rel)
			if err != nil {
				stixErr = fmt.Errorf("compile %s: %w", rel, err)
				return
			}
			stixSchemas[typ] = sch
		}
	})
	if stixErr != nil {
		t.Fatal(stixErr)
	}
	if strings.HasPrefix(typ, "x-") {
		typ = "x-"
	}
	return stixSchemas[typ]
}

// validateBundle validates a bundle against the official bundle schema and
// each of its objects against its type's official schema, and returns the
// violations and the objects.
func validateBundle(t *testing.T, raw []byte) ([]string, []map[string]any) {
	t.Helper()
	bundle, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("bundle is not JSON: %v", err)
	}
	var errs []string
	if err := schemaFor(t, "bundle").Validate(bundle); err != nil {
		errs = append(errs, fmt.Sprintf("bundle: %v", err))
	}
	var objs []map[string]any
	for i, o := range bundle.(map[string]any)["objects"].([]any) {
		obj := o.(map[string]any)
		objs = append(objs, obj)
		typ, _ := obj["type"].(string)
		sch := schemaFor(t, typ)
		if sch == nil {
			errs = append(errs, fmt.Sprintf("objects[%d]: no schema for type %q", i, typ))
			continue
		}
		if err := sch.Validate(obj); err != nil {
			errs = append(errs, fmt.Sprintf("objects[%d] (%s): %v", i, typ, err))
		}
	}
	return errs, objs
}

var testFindings = []vigil.Finding{
	{ID: "f1", Kind: vigil.KindEmail, Value: "seller@example.com", DocumentID: "d1", CrawlID: "c1", CaseID: "case-1", Site: "forumabc.onion", URL: "http://forumabc.onion/t/1", CapturedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Offset: 10, Snippet: "mail seller@example.com now"},
	{ID: "f2", Kind: vigil.KindEmail, Value: "seller@example.com", DocumentID: "d2", CrawlID: "c1", CaseID: "case-1", Site: "forumabc.onion", URL: "http://forumabc.onion/t/2", CapturedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), Offset: 3, Snippet: "seller@example.com"},
	{ID: "f3", Kind: vigil.KindPhone, Value: "+14155550123", DocumentID: "d1", CrawlID: "c1", CaseID: "case-1", URL: "http://forumabc.onion/t/1", CapturedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Snippet: "call +1 415 555 0123"},
	{ID: "f4", Kind: vigil.KindWhatsApp, Value: "+14155550123", DocumentID: "d1", URL: "http://forumabc.onion/t/1"},
	{ID: "f5", Kind: vigil.KindBTC, Value: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", DocumentID: "d3", URL: "http://market.onion/l/1", Snippet: "pay to bc1q…"},
	{ID: "f6", Kind: vigil.KindETH, Value: "0x52908400098527886e0f7030069857d2e4169ee7", DocumentID: "d3"},
	{ID: "f7", Kind: vigil.KindTelegram, Value: "o'brien_shop", DocumentID: "d4", Snippet: "tg: @o'brien_shop"},
	{ID: "f8", Kind: vigil.KindOnion, Value: strings.Repeat("a", 56) + ".onion", DocumentID: "d4"},
	{ID: "f9", Kind: vigil.KindPGP, Value: strings.Repeat("AB12", 10), DocumentID: "d4"},
}

func TestSTIXBundleValidatesAgainstSchemas(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if err := WriteSTIX(&out, testFindings, Options{CaseID: "case-1", Now: now}); err != nil {
		t.Fatal(err)
	}
	errs, objs := validateBundle(t, out.Bytes())
	for _, e := range errs {
		t.Error(e)
	}
	byType := map[string][]map[string]any{}
	byID := map[string]map[string]any{}
	for _, o := range objs {
		byType[o["type"].(string)] = append(byType[o["type"].(string)], o)
		byID[o["id"].(string)] = o
	}
	// 8 distinct (kind, value) pairs: the two emails are one indicator.
	if len(byType["indicator"]) != 8 || len(byType["relationship"]) != 8 || len(byType["report"]) != 1 {
		t.Fatalf("%d indicators, %d relationships, %d reports; want 8, 8, 1", len(byType["indicator"]), len(byType["relationship"]), len(byType["report"]))
	}
	for _, want := range []string{"email-addr", "domain-name", "user-account", TypePhone, TypeWallet, TypePGP} {
		if len(byType[want]) == 0 {
			t.Errorf("no %s observable", want)
		}
	}
	if len(byType[TypePhone]) != 2 || len(byType[TypeWallet]) != 2 {
		t.Errorf("%d phone and %d wallet observables; want phone and whatsapp apart, btc and eth apart", len(byType[TypePhone]), len(byType[TypeWallet]))
	}
	for _, r := range byType["relationship"] {
		if byID[r["source_ref"].(string)]["type"] != "indicator" || byID[r["target_ref"].(string)] == nil {
			t.Errorf("relationship %v does not join an indicator to an observable in the bundle", r["id"])
		}
	}
	for _, ref := range byType["report"][0]["object_refs"].([]any) {
		if byID[ref.(string)] == nil {
			t.Errorf("report refers to %s, not in the bundle", ref)
		}
	}
	for _, ind := range byType["indicator"] {
		if ind["x_vigil_kind"] == "email" {
			if n := len(ind["x_vigil_sightings"].([]any)); n != 2 {
				t.Errorf("email indicator has %d sightings; want both pages", n)
			}
			if ind["valid_from"] != "2026-11-01T09:00:00.000Z" {
				t.Errorf("valid_from %v; want the earliest capture", ind["valid_from"])
			}
			if ind["pattern"] != "[email-addr:value = 'seller@example.com']" {
				t.Errorf("pattern %v", ind["pattern"])
			}
		}
		if ind["x_vigil_kind"] == "telegram" && ind["pattern"] != `[user-account:account_type = 'telegram' AND user-account:account_login = 'o\'brien_shop']` {
			t.Errorf("telegram pattern %v does not escape the quote", ind["pattern"])
		}
	}

	var again bytes.Buffer
	WriteSTIX(&again, testFindings, Options{CaseID: "case-1", Now: now})
	if !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Error("two exports of the same findings differ")
	}
}

func TestSTIXSchemasRejectBrokenObjects(t *testing.T) {
	var out bytes.Buffer
	if err := WriteSTIX(&out, testFindings[:1], Options{CaseID: "c", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	breakers := map[string]func(o map[string]any){
		"an indicator without valid_from": func(o map[string]any) {
			if o["type"] == "indicator" {
				delete(o, "valid_from")
			}
		},
		"an id that is not a UUID": func(o map[string]any) {
			if o["type"] == "email-addr" {
				o["id"] = "email-addr--1234"
			}
		},
		"a created time without milliseconds": func(o map[string]any) {
			if o["type"] == "relationship" {
				o["created"] = "2026-01-01T00:00:00Z"
			}
		},
		"a property name with capitals": func(o map[string]any) {
			if o["type"] == "indicator" {
				o["X_Vigil"] = "x"
			}
		},
		"a report without its publication time": func(o map[string]any) {
			if o["type"] == "report" {
				delete(o, "published")
			}
		},
		"a relationship whose source is a marking": func(o map[string]any) {
			if o["type"] == "relationship" {
				o["source_ref"] = TLPRed
			}
		},
	}
	for name, breakIt := range breakers {
		t.Run(name+" is rejected", func(t *testing.T) {
			var b map[string]any
			json.Unmarshal(out.Bytes(), &b)
			for _, o := range b["objects"].([]any) {
				breakIt(o.(map[string]any))
			}
			raw, _ := json.Marshal(b)
			if errs, _ := validateBundle(t, raw); len(errs) == 0 {
				t.Fatal("the schemas accepted it")
			}
		})
	}
}

func TestUUIDv5MatchesPythonUUID(t *testing.T) {
	// python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('00abedb4-aa42-466c-9c01-fed23315a9b7'), '{\"value\":\"john@example.com\"}'))"
	got := uuidV5(stixNamespace, canonicalJSON(map[string]any{"value": "john@example.com"}))
	if got != "7165e2a9-671f-585d-b1e1-ca59c671d934" {
		t.Fatalf("uuidV5 = %s", got)
	}
}
