package lod_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/qmuntal/gltf"

	"github.com/strata3d/strata/lod"
	"github.com/strata3d/strata/lod/gltfcheck"
)

// modelsDir is ../shared/models next to the module root, found by walking
// up from the package directory to go.mod.
func modelsDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "models")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// mustReadModel reads one of the shared real-world models.
func mustReadModel(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(modelsDir(tb), name))
	if err != nil {
		tb.Fatalf("read shared model (see ../shared/models/README.md): %v", err)
	}
	return b
}

// mustBake bakes a GLB and fails tb on error.
func mustBake(tb testing.TB, name string, glb []byte, cfg lod.Config) *lod.Result {
	tb.Helper()
	res, err := lod.Bake(context.Background(), lod.Input{Name: name, Data: glb}, cfg)
	if err != nil {
		tb.Fatalf("Bake(%s): %v", name, err)
	}
	return res
}

// glbFiles returns every GLB of a result keyed by name with a prefix.
func glbFiles(prefix string, res *lod.Result) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range res.Files {
		if strings.HasSuffix(f.Name, ".glb") {
			out[prefix+f.Name] = f.Data
		}
	}
	return out
}

// glbDoc is a decoded GLB: the document and its BIN chunk.
type glbDoc struct {
	doc *gltf.Document
	bin []byte
}

// mustDecodeGLB decodes a GLB's JSON and BIN chunk without the gltf
// decoder's buffer handling, so that a prefix of a file can be read too:
// bin then holds whatever part of the BIN chunk the bytes contain.
func mustDecodeGLB(tb testing.TB, b []byte) glbDoc {
	tb.Helper()
	if len(b) < 20 || binary.LittleEndian.Uint32(b) != 0x46546C67 {
		tb.Fatalf("not a GLB")
	}
	jsonLen := int(binary.LittleEndian.Uint32(b[12:]))
	if 20+jsonLen > len(b) {
		tb.Fatalf("the JSON chunk (%d bytes) does not fit in %d bytes", jsonLen, len(b))
	}
	doc := new(gltf.Document)
	if err := json.Unmarshal(b[20:20+jsonLen], doc); err != nil {
		tb.Fatalf("JSON chunk: %v", err)
	}
	var bin []byte
	if start := 20 + jsonLen + 8; start <= len(b) {
		bin = b[start:]
	}
	return glbDoc{doc: doc, bin: bin}
}

// viewRange returns where bufferView v lies in the BIN chunk.
func (g glbDoc) viewRange(v int) (start, end int) {
	bv := g.doc.BufferViews[v]
	return bv.ByteOffset, bv.ByteOffset + bv.ByteLength
}

// accessorBytes returns accessor a's elements tightly packed, with a
// header describing its type, so that two accessors compare equal exactly
// when they decode to the same values.
func (g glbDoc) accessorBytes(tb testing.TB, a int) []byte {
	tb.Helper()
	acc := g.doc.Accessors[a]
	var out bytes.Buffer
	out.WriteString(acc.ComponentType.String() + acc.Type.String())
	if acc.Normalized {
		out.WriteString("N")
	}
	if acc.BufferView == nil {
		return out.Bytes()
	}
	size := gltf.SizeOfElement(acc.ComponentType, acc.Type)
	if acc.Type == gltf.AccessorVec3 || acc.Type == gltf.AccessorVec2 {
		size = acc.ComponentType.ByteSize() * acc.Type.Components()
	}
	bv := g.doc.BufferViews[*acc.BufferView]
	stride := bv.ByteStride
	if stride == 0 {
		stride = size
	}
	data := g.bin[bv.ByteOffset : bv.ByteOffset+bv.ByteLength]
	for e := range acc.Count {
		out.Write(data[acc.ByteOffset+e*stride : acc.ByteOffset+e*stride+size])
	}
	return out.Bytes()
}

// lodIDs returns the MSFT_lod ids of an object's extensions, or nil.
func lodIDs(tb testing.TB, ext gltf.Extensions) []int {
	tb.Helper()
	v, ok := ext["MSFT_lod"]
	if !ok {
		return nil
	}
	raw, _ := json.Marshal(v)
	var l struct {
		IDs []int `json:"ids"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		tb.Fatalf("MSFT_lod: %v", err)
	}
	return l.IDs
}

// validatorRuns serializes validator runs: each is a Node process that
// already uses a core.
var validatorRuns sync.Mutex

func mustBeValid(tb testing.TB, files map[string][]byte) {
	tb.Helper()
	validatorRuns.Lock()
	defer validatorRuns.Unlock()
	gltfcheck.MustBeValidGLBs(tb, files)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
