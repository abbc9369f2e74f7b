package vigil_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The architecture tests keep the layout the README's package map draws:
// every package is on the map, imports point inward, and the functions that
// carry a page stay short enough to read in one view.

// goPackage is one directory of Go files: its import path and the imports
// and function lengths of its non-test files.
type goPackage struct {
	path    string   // "vigil/crawler/tor"
	imports []string // of non-test files, sorted, unique
	long    []string // "file.go:Func (N lines)" over maxFuncLines, non-test files
}

// maxFuncLines is the longest function allowed in the wings that carry a
// page (longFuncWings).
const maxFuncLines = 80

var longFuncWings = []string{"workflows", "activities", "crawler"}

// loadPackages parses every non-test Go file of the module.
func loadPackages(t *testing.T) map[string]*goPackage {
	t.Helper()
	pkgs := map[string]*goPackage{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		ip := "vigil"
		if dir != "." {
			ip = "vigil/" + dir
		}
		pkg := pkgs[ip]
		if pkg == nil {
			pkg = &goPackage{path: ip}
			pkgs[ip] = pkg
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(pkg.imports, s) {
				pkg.imports = append(pkg.imports, s)
			}
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n > maxFuncLines {
				pkg.long = append(pkg.long, filepath.Base(p)+":"+funcName(fn)+" ("+strconv.Itoa(n)+" lines)")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		slices.Sort(p.imports)
	}
	return pkgs
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if g, ok := typ.(*ast.IndexExpr); ok {
		typ = g.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// wing is the top-level folder of a package ("" for the root).
func wing(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, "vigil/")
	if !ok {
		return ""
	}
	w, _, _ := strings.Cut(rest, "/")
	return w
}

// crossWing lists, per wing, the other wings its packages may import. Every
// package may import the root, internal/ and its own wing; cmd and e2e may
// import anything.
var crossWing = map[string][]string{
	"activities": {"workflows", "crawler", "extractors", "photo", "evidence", "store"},
	"web":        {"cases"},
	// photo hashes query photos with the crawl-time hasher (same preprocessing on both sides).
	"photo":      {"extractors"},
	"cases":      {},
	"store":      {},
	"crawler":    {},
	"extractors": {},
	"evidence":   {},
	"workflows":  {},
	"internal":   {},
	"deploy":     {},
	"":           {},
}

// leafPackages are libraries with no domain imports (standard library only)
// that any wing may use like a third-party module.
var leafPackages = []string{"vigil/photo/hashindex"}

func TestImportsPointInward(t *testing.T) {
	pkgs := loadPackages(t)
	for _, pkg := range pkgs {
		w := wing(pkg.path)
		allowed, checked := crossWing[w]
		for _, imp := range pkg.imports {
			if imp != "vigil" && !strings.HasPrefix(imp, "vigil/") {
				continue
			}
			if w == "" {
				t.Errorf("the root package imports %s: it holds the vocabulary and imports only the standard library", imp)
				continue
			}
			iw := wing(imp)
			switch {
			case !checked: // cmd, e2e: the edges that may know everything
			case imp == "vigil", iw == w, iw == "internal", slices.Contains(leafPackages, imp):
			case slices.Contains(allowed, iw):
			default:
				t.Errorf("%s imports %s: wing %s may import only the root, internal/, its own packages and %v", pkg.path, imp, w, allowed)
			}
		}
	}
	for _, leaf := range leafPackages {
		for _, imp := range pkgs[leaf].imports {
			if imp == "vigil" || strings.HasPrefix(imp, "vigil/") {
				t.Errorf("%s is a leaf (used by several wings) but imports %s", leaf, imp)
			}
		}
	}
}

// TestWorkflowCodeStaysDeterministic keeps I/O, clocks and randomness out
// of the workflows package itself (its subpackages are client and server
// code); workflowcheck (make vet) checks the calls, this checks the imports.
func TestWorkflowCodeStaysDeterministic(t *testing.T) {
	pkg := loadPackages(t)["vigil/workflows"]
	if pkg == nil {
		t.Fatal("no package vigil/workflows")
	}
	for _, imp := range pkg.imports {
		if imp == "os" || imp == "net" || strings.HasPrefix(imp, "net/") || imp == "crypto/rand" ||
			imp == "math/rand" || imp == "math/rand/v2" || imp == "go.temporal.io/sdk/client" ||
			(strings.HasPrefix(imp, "vigil/") && imp != "vigil") {
			t.Errorf("package workflows imports %s: workflow code reaches the world only through activities", imp)
		}
	}
}

func TestFunctionsThatCarryAPageStayShort(t *testing.T) {
	for _, pkg := range loadPackages(t) {
		if !slices.Contains(longFuncWings, wing(pkg.path)) {
			continue
		}
		for _, l := range pkg.long {
			t.Errorf("%s: %s is over %d lines: carve it into steps", pkg.path, l, maxFuncLines)
		}
	}
}

// TestReadmeMapsEveryPackage holds the README's package map to the tree: a
// line of the map starts with each package's folder.
func TestReadmeMapsEveryPackage(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n### Package map\n")
	if !ok {
		t.Fatal(`README.md has no "### Package map" section`)
	}
	start := strings.Index(after, "```\n")
	end := strings.Index(after[start+4:], "```")
	if start < 0 || end < 0 {
		t.Fatal("the package map is not a fenced block")
	}
	mapped := map[string]bool{}
	entry := regexp.MustCompile(`^(\S+?)/?\s`)
	for _, line := range strings.Split(after[start+4:start+4+end], "\n") {
		if m := entry.FindStringSubmatch(line + " "); m != nil {
			mapped[m[1]] = true
		}
	}
	var pkgs []string
	for p := range loadPackages(t) {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, p := range pkgs {
		dir := strings.TrimPrefix(strings.TrimPrefix(p, "vigil"), "/")
		if dir == "" {
			dir = "vigil"
		}
		if !mapped[dir] {
			t.Errorf("README's package map has no line for %s", dir)
		}
		delete(mapped, dir)
	}
	for m := range mapped {
		if !strings.ContainsAny(m, "(") && !isDir(m) {
			t.Errorf("README's package map names %s, which is not a package", m)
		}
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
