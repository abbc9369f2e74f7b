package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil"
)

// schemaValidator checks JSON values against the schema files under
// testdata/stix, supporting the keywords those files use (README.md there).
type schemaValidator struct {
	cache map[string]map[string]any
}

func (v *schemaValidator) load(t *testing.T, path string) map[string]any {
	t.Helper()
	if s, ok := v.cache[path]; ok {
		return s
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if v.cache == nil {
		v.cache = map[string]map[string]any{}
	}
	v.cache[path] = s
	return s
}

// validate returns the violations of value against schema s (from file).
func (v *schemaValidator) validate(t *testing.T, file string, s map[string]any, value any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	for kw, arg := range s {
		switch kw {
		case "title", "description":
		case "$ref":
			ref := filepath.Join(filepath.Dir(file), arg.(string))
			errs = append(errs, v.validate(t, ref, v.load(t, ref), value, at)...)
		case "allOf":
			for _, sub := range arg.([]any) {
				errs = append(errs, v.validate(t, file, sub.(map[string]any), value, at)...)
			}
		case "type":
			if !hasType(value, arg.(string)) {
				fail("is not of type %s", arg)
			}
		case "const":
			if value != arg {
				fail("is %v; want %v", value, arg)
			}
		case "enum":
			ok := false
			for _, e := range arg.([]any) {
				ok = ok || e == value
			}
			if !ok {
				fail("%v is not one of %v", value, arg)
			}
		case "pattern":
			if s, ok := value.(string); ok && !regexp.MustCompile(arg.(string)).MatchString(s) {
				fail("%q does not match %s", s, arg)
			}
		case "minLength":
			if s, ok := value.(string); ok && len(s) < int(arg.(float64)) {
				fail("%q is shorter than %v", s, arg)
			}
		case "minItems":
			if a, ok := value.([]any); ok && len(a) < int(arg.(float64)) {
				fail("has %d items; want at least %v", len(a), arg)
			}
		case "items":
			if a, ok := value.([]any); ok {
				for i, item := range a {
					errs = append(errs, v.validate(t, file, arg.(map[string]any), item, fmt.Sprintf("%s[%d]", at, i))...)
				}
			}
		case "required":
			if o, ok := value.(map[string]any); ok {
				for _, r := range arg.([]any) {
					if _, ok := o[r.(string)]; !ok {
						fail("lacks required property %s", r)
					}
				}
			}
		case "properties":
			if o, ok := value.(map[string]any); ok {
				for name, sub := range arg.(map[string]any) {
					if pv, ok := o[name]; ok {
						errs = append(errs, v.validate(t, file, sub.(map[string]any), pv, at+"."+name)...)
					}
				}
			}
		case "propertyNames":
			if o, ok := value.(map[string]any); ok {
				for name := range o {
					errs = append(errs, v.validate(t, file, arg.(map[string]any), name, at+" property name "+name)...)
				}
			}
		default:
			t.Fatalf("%s: schema keyword %q is not supported by the test validator", file, kw)
		}
	}
	return errs
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return false
}

// schemaFor names the schema file of a STIX object type.
func schemaFor(typ string) string {
	switch {
	case typ == "indicator" || typ == "identity" || typ == "grouping":
		return "sdos/" + typ + ".json"
	case typ == "relationship":
		return "sros/relationship.json"
	case typ == "marking-definition":
		return "common/marking-definition.json"
	case typ == "email-addr" || typ == "domain-name" || typ == "user-account":
		return "observables/" + typ + ".json"
	case strings.HasPrefix(typ, "x-"):
		return "observables/custom.json"
	}
	return ""
}

// validateBundle validates a bundle and each of its objects and returns
// the violations and the objects.
func validateBundle(t *testing.T, raw []byte) ([]string, []map[string]any) {
	t.Helper()
	var bundle any
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Fatalf("bundle is not JSON: %v", err)
	}
	v := &schemaValidator{}
	root := filepath.Join("testdata", "stix")
	file := filepath.Join(root, "common", "bundle.json")
	errs := v.validate(t, file, v.load(t, file), bundle, "bundle")
	var objs []map[string]any
	for i, o := range bundle.(map[string]any)["objects"].([]any) {
		obj := o.(map[string]any)
		objs = append(objs, obj)
		typ, _ := obj["type"].(string)
		name := schemaFor(typ)
		if name == "" {
			errs = append(errs, fmt.Sprintf("objects[%d]: no schema for type %q", i, typ))
			continue
		}
		file := filepath.Join(root, name)
		errs = append(errs, v.validate(t, file, v.load(t, file), obj, fmt.Sprintf("objects[%d] (%s)", i, typ))...)
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
	if len(byType["indicator"]) != 8 || len(byType["relationship"]) != 8 || len(byType["grouping"]) != 1 {
		t.Fatalf("%d indicators, %d relationships, %d groupings; want 8, 8, 1", len(byType["indicator"]), len(byType["relationship"]), len(byType["grouping"]))
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
	for _, ref := range byType["grouping"][0]["object_refs"].([]any) {
		if byID[ref.(string)] == nil {
			t.Errorf("grouping refers to %s, not in the bundle", ref)
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
		"spec_version 2.0": func(o map[string]any) {
			if o["type"] == "grouping" {
				o["spec_version"] = "2.0"
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
