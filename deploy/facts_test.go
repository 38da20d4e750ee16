package deploy_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/strata3d/strata/deploy"
	"github.com/strata3d/strata/server"
)

// strataFacts reads what the templates must agree with from Strata itself: the server's defaults and the
// flags `strata serve` defines (each also a STRATA_* variable).
func strataFacts(tb testing.TB) deploy.Strata {
	tb.Helper()
	cfg := server.DefaultConfig()
	return deploy.Strata{
		DrainDelay:         cfg.DrainDelay,
		ShutdownTimeout:    cfg.ShutdownTimeout,
		IdleTimeout:        cfg.IdleTimeout,
		SMaxAge:            cfg.SMaxAge,
		OriginSecretHeader: cfg.OriginSecretHeader,
		ServeEnv:           mustServeEnv(tb),
	}
}

var serveEnv = sync.OnceValues(func() (map[string]bool, error) {
	return serveFlagEnv(filepath.Join("..", "cmd", "strata"))
})

func mustServeEnv(tb testing.TB) map[string]bool {
	tb.Helper()
	env, err := serveEnv()
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// serveFlagEnv parses cmd/strata's sources for the flags serveConfig.flags registers, following the calls it
// makes to the flags methods of its fields' types (c.Publish.flags(fs)), and returns their environment variable
// names (--drain-delay is STRATA_DRAIN_DELAY). Reading the source rather than running the binary keeps the test
// free of a build; every registration call takes the flag name as a string literal second argument.
func serveFlagEnv(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	structs := map[string]*ast.StructType{} // type name → its struct
	flagFuncs := map[string]*ast.FuncDecl{} // receiver type → its flags method
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Name.Name == "flags" && d.Recv != nil {
					flagFuncs[receiverName(d)] = d
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if ts, ok := spec.(*ast.TypeSpec); ok {
						if st, ok := ts.Type.(*ast.StructType); ok {
							structs[ts.Name.Name] = st
						}
					}
				}
			}
		}
	}
	env := map[string]bool{}
	seen := map[string]bool{}
	var collect func(typ string)
	collect = func(typ string) {
		fn, ok := flagFuncs[typ]
		if !ok || seen[typ] {
			return
		}
		seen[typ] = true
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if sel.Sel.Name == "flags" {
				// c.Field.flags(fs): follow to the field's type.
				if field, ok := sel.X.(*ast.SelectorExpr); ok {
					collect(fieldType(structs[typ], field.Sel.Name))
				}
				return true
			}
			if len(call.Args) < 2 {
				return true
			}
			lit, ok := call.Args[1].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, err := strconv.Unquote(lit.Value)
			if err == nil && name != "" && !strings.Contains(name, " ") {
				env["STRATA_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] = true
			}
			return true
		})
	}
	collect("serveConfig")
	if len(env) == 0 {
		return nil, errNoFlags
	}
	return env, nil
}

// fieldType returns the type name of a struct field, or "".
func fieldType(st *ast.StructType, field string) string {
	if st == nil {
		return ""
	}
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.Name != field {
				continue
			}
			t := f.Type
			if star, ok := t.(*ast.StarExpr); ok {
				t = star.X
			}
			if id, ok := t.(*ast.Ident); ok {
				return id.Name
			}
		}
	}
	return ""
}

var errNoFlags = errors.New("found no flags in serveConfig.flags of cmd/strata; did its registration change?")

func receiverName(fn *ast.FuncDecl) string {
	t := fn.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
