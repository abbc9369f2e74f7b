package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// subcommands is the CLI contract for the roles (DESIGN.md §5, CONFIG.md).
var subcommands = []string{"up", "worker", "serve"}

// roles are the values of `vigil worker --role`.
var roles = []string{"crawl", "process"}

// docs is what CONFIG.md documents: every `backticked` token, and the
// images of its allow-list table.
type docs struct {
	tokens map[string]bool
	images map[string]bool
}

var backtickRE = regexp.MustCompile("`([^`]+)`")

func parseDocs(md string) docs {
	d := docs{tokens: map[string]bool{}, images: map[string]bool{}}
	for _, m := range backtickRE.FindAllStringSubmatch(md, -1) {
		d.tokens[m[1]] = true
	}
	_, section, _ := strings.Cut(md, "## Images")
	section, _, _ = strings.Cut(section, "\n## ")
	for line := range strings.SplitSeq(section, "\n") {
		if m := regexp.MustCompile("^\\| `([^`]+)` \\|").FindStringSubmatch(line); m != nil {
			d.images[m[1]] = true
		}
	}
	return d
}

func loadDocs(t *testing.T) docs {
	t.Helper()
	b, err := os.ReadFile("CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	d := parseDocs(string(b))
	if len(d.images) == 0 || len(d.tokens) == 0 {
		t.Fatal("CONFIG.md documents no images or variables")
	}
	return d
}

// decodeAll parses every YAML document of a file (anchors and merge keys
// resolved).
func decodeAll(b []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// interpolationRE finds ${VAR} and $(VAR) references; $${…} is an escape.
var interpolationRE = regexp.MustCompile(`(^|[^$])\$[{(]([A-Za-z_][A-Za-z0-9_]*)`)

// walkStrings calls fn for every string value in v.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = strings.Fields(x)
	case []any:
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
	}
	return out
}

// checkVigilArgs checks a vigil command line (without the program name).
func checkVigilArgs(d docs, where string, args []string) []string {
	var probs []string
	if len(args) == 0 || !slices.Contains(subcommands, args[0]) {
		return []string{fmt.Sprintf("%s: vigil %v is not one of the subcommands %v", where, args, subcommands)}
	}
	for i, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		flag, _, _ := strings.Cut(a, "=")
		if !d.tokens[flag] {
			probs = append(probs, fmt.Sprintf("%s: flag %s is not documented in CONFIG.md", where, flag))
		}
		if flag == "--role" && i+1 < len(args) && !slices.Contains(roles, args[i+1]) {
			probs = append(probs, fmt.Sprintf("%s: role %q is not one of %v", where, args[i+1], roles))
		}
	}
	return probs
}

func isVigilImage(image string) bool { return strings.HasPrefix(image, "vigil:") }

// checkCompose returns the problems of a compose file.
func checkCompose(d docs, name string, doc map[string]any) []string {
	var probs []string
	services, ok := doc["services"].(map[string]any)
	if !ok || len(services) == 0 {
		return []string{name + ": no services"}
	}
	for sname, raw := range services {
		svc, _ := raw.(map[string]any)
		where := name + " service " + sname
		image, _ := svc["image"].(string)
		if !d.images[image] {
			probs = append(probs, fmt.Sprintf("%s: image %q is not in the CONFIG.md allow-list", where, image))
		}
		env := map[string]string{}
		switch e := svc["environment"].(type) {
		case map[string]any:
			for k, v := range e {
				env[k] = fmt.Sprint(v)
			}
		case []any:
			for _, kv := range e {
				k, v, _ := strings.Cut(fmt.Sprint(kv), "=")
				env[k] = v
			}
		}
		for k := range env {
			if !d.tokens[k] {
				probs = append(probs, fmt.Sprintf("%s: variable %s is not documented in CONFIG.md", where, k))
			}
		}
		if isVigilImage(image) && svc["entrypoint"] == nil {
			args := strs(svc["command"])
			probs = append(probs, checkVigilArgs(d, where, args)...)
			for _, need := range []string{"TEMPORAL_ADDRESS", "ELASTICSEARCH_URL"} {
				if env[need] == "" {
					probs = append(probs, fmt.Sprintf("%s: %s is not set", where, need))
				}
			}
			if slices.Contains(args, "crawl") && env["VIGIL_TOR_SOCKS"] == "" {
				probs = append(probs, where+": a crawl worker without VIGIL_TOR_SOCKS")
			}
			if len(args) > 0 && args[0] == "serve" && env["VIGIL_TOKEN"] == "" {
				probs = append(probs, where+": the API listens beyond loopback without VIGIL_TOKEN")
			}
		}
		for _, p := range strs(svc["ports"]) {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				probs = append(probs, fmt.Sprintf("%s: port %s is not bound to 127.0.0.1", where, p))
			}
		}
	}
	return probs
}

// checkManifests returns the problems of a set of Kubernetes documents.
func checkManifests(d docs, name string, objs []map[string]any) []string {
	var probs []string
	for i, obj := range objs {
		kind, _ := obj["kind"].(string)
		meta, _ := obj["metadata"].(map[string]any)
		where := fmt.Sprintf("%s document %d (%s %v)", name, i+1, kind, meta["name"])
		if kind == "" || obj["apiVersion"] == nil || meta["name"] == nil {
			probs = append(probs, where+": lacks apiVersion, kind or metadata.name")
			continue
		}
		if kind != "Namespace" && meta["namespace"] != "vigil" {
			probs = append(probs, where+": not in namespace vigil")
		}
		if kind == "ConfigMap" {
			data, _ := obj["data"].(map[string]any)
			for k := range data {
				if !d.tokens[k] && k != "torrc" {
					probs = append(probs, fmt.Sprintf("%s: key %s is not documented in CONFIG.md", where, k))
				}
			}
		}
		spec, _ := obj["spec"].(map[string]any)
		tmpl, _ := spec["template"].(map[string]any)
		pod, _ := tmpl["spec"].(map[string]any)
		if pod == nil {
			continue
		}
		var containers []any
		for _, key := range []string{"initContainers", "containers"} {
			cs, _ := pod[key].([]any)
			containers = append(containers, cs...)
		}
		if len(containers) == 0 {
			probs = append(probs, where+": no containers")
		}
		for _, raw := range containers {
			c, _ := raw.(map[string]any)
			cw := fmt.Sprintf("%s container %v", where, c["name"])
			image, _ := c["image"].(string)
			if !d.images[image] {
				probs = append(probs, fmt.Sprintf("%s: image %q is not in the CONFIG.md allow-list", cw, image))
			}
			env, _ := c["env"].([]any)
			for _, e := range env {
				em, _ := e.(map[string]any)
				n, _ := em["name"].(string)
				if !d.tokens[n] {
					probs = append(probs, fmt.Sprintf("%s: variable %s is not documented in CONFIG.md", cw, n))
				}
				vf, _ := em["valueFrom"].(map[string]any)
				if ref, ok := vf["secretKeyRef"].(map[string]any); ok {
					if k, _ := ref["key"].(string); !d.tokens[k] {
						probs = append(probs, fmt.Sprintf("%s: secret key %s is not documented in CONFIG.md", cw, k))
					}
				}
			}
			if isVigilImage(image) {
				cmd := strs(c["command"])
				if len(cmd) == 0 || filepath.Base(cmd[0]) == "vigil" {
					args := append(cmd[min(len(cmd), 1):], strs(c["args"])...)
					probs = append(probs, checkVigilArgs(d, cw, args)...)
				}
			}
		}
	}
	return probs
}

// checkRefs returns the ${VAR} and $(VAR) references of a file that
// CONFIG.md does not document.
func checkRefs(d docs, name string, objs []map[string]any) []string {
	var probs []string
	seen := map[string]bool{}
	for _, o := range objs {
		walkStrings(o, func(s string) {
			for _, m := range interpolationRE.FindAllStringSubmatch(s, -1) {
				if v := m[2]; !d.tokens[v] && !seen[v] {
					seen[v] = true
					probs = append(probs, fmt.Sprintf("%s: ${%s} is not documented in CONFIG.md", name, v))
				}
			}
		})
	}
	return probs
}

func TestComposeFiles(t *testing.T) {
	d := loadDocs(t)
	files, _ := filepath.Glob("docker-compose*.yml")
	if len(files) < 2 {
		t.Fatalf("compose files %v: want the single-node and the 3-node file", files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeAll(b)
			if err != nil || len(objs) != 1 {
				t.Fatalf("%s does not parse as one YAML document: %v", f, err)
			}
			probs := append(checkCompose(d, f, objs[0]), checkRefs(d, f, objs)...)
			for _, p := range probs {
				t.Error(p)
			}
			services := objs[0]["services"].(map[string]any)
			var es, kibana, temporal, ui, tor, crawl, process, api bool
			for _, raw := range services {
				svc := raw.(map[string]any)
				image, _ := svc["image"].(string)
				args := strings.Join(strs(svc["command"]), " ")
				es = es || strings.Contains(image, "/elasticsearch:") && svc["command"] == nil
				kibana = kibana || strings.Contains(image, "/kibana:")
				temporal = temporal || strings.HasPrefix(image, "temporalio/auto-setup:")
				ui = ui || strings.HasPrefix(image, "temporalio/ui:")
				tor = tor || slices.Contains(strs(svc["entrypoint"]), "tor")
				crawl = crawl || args == "worker --role crawl"
				process = process || args == "worker --role process"
				api = api || strings.HasPrefix(args, "serve")
			}
			if !(es && kibana && temporal && ui && tor && crawl && process && api) {
				t.Errorf("%s lacks a part: elasticsearch %v kibana %v temporal %v ui %v tor %v crawl %v process %v api %v", f, es, kibana, temporal, ui, tor, crawl, process, api)
			}
		})
	}
	t.Run("the 3-node file runs three Elasticsearch nodes", func(t *testing.T) {
		b, err := os.ReadFile("docker-compose.3node.yml")
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeAll(b)
		if err != nil {
			t.Fatal(err)
		}
		nodes := 0
		for _, raw := range objs[0]["services"].(map[string]any) {
			env, _ := raw.(map[string]any)["environment"].(map[string]any)
			if env["cluster.initial_master_nodes"] == "es01,es02,es03" {
				nodes++
			}
		}
		if nodes != 3 {
			t.Errorf("%d master-eligible nodes, want 3", nodes)
		}
	})
}

func TestKubernetesManifests(t *testing.T) {
	d := loadDocs(t)
	files, _ := filepath.Glob("k8s/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests under k8s/")
	}
	kinds := map[string]int{}
	var vigilArgs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeAll(b)
		if err != nil {
			t.Fatalf("%s does not parse: %v", f, err)
		}
		for _, p := range append(checkManifests(d, f, objs), checkRefs(d, f, objs)...) {
			t.Error(p)
		}
		for _, o := range objs {
			kinds[o["kind"].(string)]++
			spec, _ := o["spec"].(map[string]any)
			if tmpl, ok := spec["template"].(map[string]any); ok {
				if pod, ok := tmpl["spec"].(map[string]any); ok {
					cs, _ := pod["containers"].([]any)
					for _, c := range cs {
						if args := strs(c.(map[string]any)["args"]); len(args) > 0 {
							vigilArgs = append(vigilArgs, strings.Join(args, " "))
						}
					}
				}
			}
		}
	}
	for _, want := range []string{"worker --role crawl", "worker --role process", "serve --listen 0.0.0.0:8080"} {
		if !slices.Contains(vigilArgs, want) {
			t.Errorf("no container runs vigil %s", want)
		}
	}
	if kinds["StatefulSet"] < 2 || kinds["Deployment"] < 5 || kinds["Service"] < 5 {
		t.Errorf("kinds %v: want Elasticsearch and PostgreSQL StatefulSets, Deployments for Kibana, Temporal, its UI and three Vigil roles", kinds)
	}
}

func TestDockerfile(t *testing.T) {
	d := loadDocs(t)
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			froms = append(froms, f[1])
			if !d.images[f[1]] {
				t.Errorf("Dockerfile: base image %q is not in the CONFIG.md allow-list", f[1])
			}
		}
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:1.26") || !strings.HasPrefix(froms[1], "debian:bookworm") {
		t.Errorf("stages %v, want golang:1.26 then debian:bookworm-slim", froms)
	}
}

// TestCheckersFail feeds the checks files that break each rule, so a
// passing TestComposeFiles and TestKubernetesManifests mean something.
func TestCheckersFail(t *testing.T) {
	d := parseDocs("| `vigil:dev` | x |\n`TEMPORAL_ADDRESS` `ELASTICSEARCH_URL` `--role`\n## Images\n| `vigil:dev` | built |\n")
	compose := `
services:
  a:
    image: nginx:latest
  b:
    image: vigil:dev
    command: ["crawl", "--depth", "2"]
    environment:
      TEMPORAL_ADDRESS: t:7233
      ELASTICSEARCH_URL: http://e:9200
      SECRET_THING: x
    ports: ["8080:8080"]
  c:
    image: vigil:dev
    command: ["worker", "--role", "spider"]
    environment: ["TEMPORAL_ADDRESS=${UNDOCUMENTED}", "ELASTICSEARCH_URL=x"]
`
	objs, err := decodeAll([]byte(compose))
	if err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(append(checkCompose(d, "bad.yml", objs[0]), checkRefs(d, "bad.yml", objs)...), "\n")
	for _, want := range []string{`image "nginx:latest"`, "vigil [crawl --depth 2] is not one of", "SECRET_THING", "not bound to 127.0.0.1", `role "spider"`, "${UNDOCUMENTED}"} {
		if !strings.Contains(probs, want) {
			t.Errorf("compose check missed %q; reported:\n%s", want, probs)
		}
	}
	manifest := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x, namespace: other}
spec:
  template:
    spec:
      containers:
        - name: c
          image: vigil:dev
          args: ["scrape"]
          env:
            - {name: MYSTERY, value: "1"}
`
	objs, err = decodeAll([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	probs = strings.Join(checkManifests(d, "bad.yaml", objs), "\n")
	for _, want := range []string{"not in namespace vigil", "MYSTERY", "vigil [scrape] is not one of"} {
		if !strings.Contains(probs, want) {
			t.Errorf("manifest check missed %q; reported:\n%s", want, probs)
		}
	}
}

// TestTorrcsRefuseInternalAddresses: every torrc the crawl workers' tor
// clients use keeps tor's refusal of internal addresses on, explicitly, so
// that a seed like http://127.0.0.1:PORT never reaches a local service
// through tor (the managed tor's torrc is checked by crawler/tor/torproc's
// tests on the private network).
func TestTorrcsRefuseInternalAddresses(t *testing.T) {
	k8s, err := os.ReadFile("k8s/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile("torrc")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"torrc": string(plain), "k8s/config.yaml": string(k8s)} {
		set := map[string]string{}
		for line := range strings.SplitSeq(text, "\n") {
			if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[0], "Client") {
				set[f[0]] = f[1]
			}
		}
		for _, opt := range []string{"ClientRejectInternalAddresses", "ClientDNSRejectInternalAddresses"} {
			if set[opt] != "1" {
				t.Errorf("%s: %s is %q; want 1", name, opt, set[opt])
			}
		}
	}
}
