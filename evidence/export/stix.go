package export

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"vigil"
)

// stixNamespace is the UUIDv5 namespace STIX 2.1 (§2.9) prescribes for the
// deterministic IDs of cyber-observable objects.
var stixNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// vigilNamespace is the UUIDv5 namespace of Vigil's own STIX objects
// (indicators, relationships, the report), so that exporting a case twice
// yields the same IDs and importers update rather than duplicate.
var vigilNamespace = [16]byte{0x6b, 0x1e, 0x0c, 0x5a, 0x3f, 0x8d, 0x4e, 0x21, 0x9a, 0x77, 0x52, 0xc4, 0x0e, 0x19, 0xd3, 0x68}

// TLPRed is the STIX 2.1 predefined TLP:RED marking definition; every
// Vigil SDO carries it (findings of trafficking investigations are not for
// sharing beyond the named recipients).
const TLPRed = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

// Custom observable types (STIX 2.1 §11.2 custom objects, "x-" prefixed):
// STIX has no phone number, wallet or PGP key observable.
const (
	TypePhone  = "x-phone-number"          // value: E.164; service: "phone" or "whatsapp"
	TypeWallet = "x-cryptocurrency-wallet" // value: address; currency: btc, eth, xmr, trx
	TypePGP    = "x-pgp-fingerprint"       // value: upper-case 40-hex fingerprint
)

// sighting is the provenance of one finding, as a custom property of the
// indicator (x_vigil_sightings).
type sighting struct {
	URL        string `json:"url,omitempty"`
	DocumentID string `json:"document_id,omitempty"`
	CrawlID    string `json:"crawl_id,omitempty"`
	CapturedAt string `json:"captured_at,omitempty"`
	Snippet    string `json:"snippet,omitempty"`
}

// observable returns the STIX observable of a finding: its type, its
// properties (type, id and spec_version excluded), the properties that
// contribute to its ID, and the indicator pattern that matches it.
func observable(kind vigil.Kind, value string) (typ string, props map[string]any, idProps []string, pattern string) {
	q := stixString(value)
	switch kind {
	case vigil.KindEmail:
		return "email-addr", map[string]any{"value": value}, []string{"value"}, "[email-addr:value = " + q + "]"
	case vigil.KindOnion:
		return "domain-name", map[string]any{"value": value}, []string{"value"}, "[domain-name:value = " + q + "]"
	case vigil.KindPhone, vigil.KindWhatsApp:
		service := "phone"
		if kind == vigil.KindWhatsApp {
			service = "whatsapp"
		}
		return TypePhone, map[string]any{"value": value, "service": service}, []string{"service", "value"},
			"[" + TypePhone + ":value = " + q + " AND " + TypePhone + ":service = '" + service + "']"
	case vigil.KindBTC, vigil.KindETH, vigil.KindXMR, vigil.KindTRX:
		return TypeWallet, map[string]any{"value": value, "currency": string(kind)}, []string{"currency", "value"},
			"[" + TypeWallet + ":value = " + q + "]"
	case vigil.KindPGP:
		return TypePGP, map[string]any{"value": value}, []string{"value"}, "[" + TypePGP + ":value = " + q + "]"
	}
	// Messenger handles: telegram, signal, session, wickr, discord, …
	return "user-account", map[string]any{"account_login": value, "account_type": string(kind)}, []string{"account_login", "account_type"},
		"[user-account:account_type = " + stixString(string(kind)) + " AND user-account:account_login = " + q + "]"
}

// stixString quotes s as a STIX patterning string literal.
func stixString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// WriteSTIX writes a STIX 2.1 bundle: for each distinct (kind, value) among
// findings, an observable (SCO, deterministic UUIDv5 ID per §2.9), an
// indicator whose pattern matches it with every finding's provenance in
// x_vigil_sightings and valid_from at the earliest capture, and a
// based-on relationship between them; plus the Vigil identity that created
// them, the TLP:RED marking, and a report of everything for the case (a report,
// not a grouping: the official STIX 2.1 bundle schema does not list grouping
// among the object types it accepts).
// The same findings and Options.Now give byte-identical output.
func WriteSTIX(w io.Writer, findings []vigil.Finding, opt Options) error {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	ts := stixTime(now)
	identity := "identity--" + uuidV5(vigilNamespace, []byte("identity"))
	common := func(typ, id string) map[string]any {
		return map[string]any{"type": typ, "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
			"created_by_ref": identity, "object_marking_refs": []string{TLPRed}}
	}
	objects := []map[string]any{
		{"type": "identity", "spec_version": "2.1", "id": identity, "created": ts, "modified": ts,
			"name": "Vigil", "identity_class": "system", "description": "Vigil dark-web investigation crawler (automated extraction)"},
		{"type": "marking-definition", "spec_version": "2.1", "id": TLPRed, "created": "2017-01-20T00:00:00.000Z",
			"definition_type": "tlp", "name": "TLP:RED", "definition": map[string]any{"tlp": "red"}},
	}

	type group struct {
		kind     vigil.Kind
		value    string
		earliest time.Time
		seen     []sighting
	}
	groups := map[string]*group{}
	var keys []string
	for _, f := range findings {
		k := string(f.Kind) + "\x00" + f.Value
		g := groups[k]
		if g == nil {
			g = &group{kind: f.Kind, value: f.Value}
			groups[k] = g
			keys = append(keys, k)
		}
		if !f.CapturedAt.IsZero() && (g.earliest.IsZero() || f.CapturedAt.Before(g.earliest)) {
			g.earliest = f.CapturedAt
		}
		s := sighting{URL: f.URL, DocumentID: f.DocumentID, CrawlID: f.CrawlID, Snippet: f.Snippet}
		if !f.CapturedAt.IsZero() {
			s.CapturedAt = stixTime(f.CapturedAt)
		}
		g.seen = append(g.seen, s)
	}
	sort.Strings(keys)
	var refs []string
	for _, k := range keys {
		g := groups[k]
		typ, props, idProps, pattern := observable(g.kind, g.value)
		contrib := map[string]any{}
		for _, p := range idProps {
			contrib[p] = props[p]
		}
		scoID := typ + "--" + uuidV5(stixNamespace, canonicalJSON(contrib))
		sco := map[string]any{"type": typ, "spec_version": "2.1", "id": scoID}
		for p, v := range props {
			sco[p] = v
		}
		validFrom := g.earliest
		if validFrom.IsZero() {
			validFrom = now
		}
		indID := "indicator--" + uuidV5(vigilNamespace, []byte("indicator\x00"+opt.CaseID+"\x00"+k))
		ind := common("indicator", indID)
		ind["name"] = fmt.Sprintf("%s %s", g.kind, g.value)
		ind["description"] = fmt.Sprintf("%s contact %s found by Vigil on %d captured page(s)", g.kind, g.value, len(g.seen))
		ind["indicator_types"] = []string{"attribution"}
		ind["pattern"] = pattern
		ind["pattern_type"] = "stix"
		ind["pattern_version"] = "2.1"
		ind["valid_from"] = stixTime(validFrom)
		ind["labels"] = []string{"vigil", string(g.kind)}
		ind["x_vigil_kind"] = string(g.kind)
		ind["x_vigil_sightings"] = g.seen
		if opt.CaseID != "" {
			ind["x_vigil_case_id"] = opt.CaseID
		}
		relID := "relationship--" + uuidV5(vigilNamespace, []byte("based-on\x00"+indID+"\x00"+scoID))
		rel := common("relationship", relID)
		rel["relationship_type"] = "based-on"
		rel["source_ref"] = indID
		rel["target_ref"] = scoID
		objects = append(objects, sco, ind, rel)
		refs = append(refs, scoID, indID, relID)
	}
	if len(refs) > 0 {
		rep := common("report", "report--"+uuidV5(vigilNamespace, []byte("report\x00"+opt.CaseID)))
		name := "Vigil findings"
		if opt.CaseID != "" {
			name += " of case " + opt.CaseID
		}
		rep["name"] = name
		rep["report_types"] = []string{"indicator"}
		rep["published"] = ts
		rep["object_refs"] = refs
		objects = append(objects, rep)
	}
	bundle := map[string]any{
		"type":    "bundle",
		"id":      "bundle--" + uuidV5(vigilNamespace, []byte("bundle\x00"+opt.CaseID+"\x00"+ts+"\x00"+strings.Join(refs, ","))),
		"objects": objects,
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bundle); err != nil {
		return fmt.Errorf("write stix: %w", err)
	}
	return nil
}

// stixTime formats t as a STIX timestamp: UTC, millisecond precision, Z.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// canonicalJSON encodes m with sorted keys and without HTML escaping, as
// RFC 8785 does for the string-valued objects used here.
func canonicalJSON(m map[string]any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(m)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// uuidV5 returns the RFC 9562 version 5 UUID of name in namespace ns.
func uuidV5(ns [16]byte, name []byte) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write(name)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
