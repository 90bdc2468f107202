package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHandlerFiles: every handler of the route table lives in the file named after its
// route's first path segment (/customers/typeahead in customers.go or customers_*.go,
// /api/job-runs/:id/alerts in api.go, / in home.go), so a reader finds a route's code
// from its address alone.
func TestHandlerFiles(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]string{} // App method → its file
	var table *ast.FuncDecl
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			methods[fd.Name.Name] = filepath.Base(fset.Position(fd.Pos()).Filename)
			if fd.Name.Name == "routeTable" {
				table = fd
			}
		}
	}
	if table == nil {
		t.Fatal("no routeTable")
	}
	routes := 0
	ast.Inspect(table.Body, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok || len(lit.Elts) != 4 {
			return true
		}
		path, ok1 := lit.Elts[1].(*ast.BasicLit)
		handler, ok2 := lit.Elts[3].(*ast.SelectorExpr)
		if !ok1 || !ok2 {
			return true
		}
		routes++
		p, _ := strconv.Unquote(path.Value)
		segment := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]
		if segment == "" {
			segment = "home"
		}
		// A Go file name has no hyphen: /cloud-connect/… lives in cloudconnect.go.
		segment = strings.ReplaceAll(segment, "-", "")
		file := methods[handler.Sel.Name]
		if file != segment+".go" && !strings.HasPrefix(file, segment+"_") {
			t.Errorf("%s: handler %s is in %s, want %s.go or %s_*.go", p, handler.Sel.Name, file, segment, segment)
		}
		return false
	})
	if routes < len(new(App).routeTable()) {
		t.Fatalf("read %d routes of routeTable's source, the table has %d", routes, len(new(App).routeTable()))
	}
}
