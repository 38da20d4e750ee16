package origin

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/qmuntal/gltf"
)

func TestWriteAssets(t *testing.T) {
	sums := func(dir string) map[string][32]byte {
		t.Helper()
		if err := writeAssets(dir); err != nil {
			t.Fatalf("writeAssets: %v", err)
		}
		out := map[string][32]byte{}
		for _, a := range assets {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(a.path)))
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b)) != a.size {
				t.Errorf("%s: %d bytes, want %d", a.path, len(b), a.size)
			}
			out[a.path] = sha256.Sum256(b)
		}
		return out
	}
	first, second := sums(t.TempDir()), sums(t.TempDir())
	for path, sum := range first {
		if second[path] != sum {
			t.Errorf("%s differs between two runs: the seed does not fix the contents", path)
		}
	}
	if first[hot4KPath] == first[hot64KPath] {
		t.Error("the two hot files have the same contents")
	}
}

// The GLB must be one that glTF tooling opens, with the BIN chunk declared
// as the only buffer.
func TestWriteAssetsGLBIsValid(t *testing.T) {
	dir := t.TempDir()
	if err := writeAssets(dir); err != nil {
		t.Fatal(err)
	}
	doc, err := gltf.Open(filepath.Join(dir, filepath.FromSlash(bigGLBPath)))
	if err != nil {
		t.Fatalf("gltf.Open: %v", err)
	}
	if doc.Asset.Version != "2.0" {
		t.Errorf("asset version %q, want 2.0", doc.Asset.Version)
	}
	if len(doc.Buffers) != 1 {
		t.Fatalf("%d buffers, want 1", len(doc.Buffers))
	}
	b := doc.Buffers[0]
	if int(b.ByteLength) != len(b.Data) || b.ByteLength < bigGLBSize-1024 {
		t.Errorf("buffer byteLength %d, data %d bytes: want equal and near %d", b.ByteLength, len(b.Data), bigGLBSize)
	}
}

func TestGLBLayout(t *testing.T) {
	tests := []struct {
		name string
		size int64
		ok   bool
	}{
		{"20 MiB", bigGLBSize, true},
		{"digit count changes with the BIN length", 10_000_100, true},
		{"smallest that fits the JSON", 200, true},
		{"not a multiple of 4", bigGLBSize + 2, false},
		{"smaller than the JSON", 40, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, binLen, err := glbLayout(tt.size)
			if (err == nil) != tt.ok {
				t.Fatalf("glbLayout(%d) error %v, want ok=%v", tt.size, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if got := glbHeaderLen + 2*glbChunkHead + int64(len(doc)) + binLen; got != tt.size {
				t.Errorf("layout adds up to %d bytes, want %d", got, tt.size)
			}
			if len(doc)%4 != 0 || binLen%4 != 0 {
				t.Errorf("chunks not 4-byte aligned: JSON %d, BIN %d", len(doc), binLen)
			}
		})
	}
}
