package origin

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// The files both servers serve, relative to the assets directory; the URL of
// each is "/assets/" + its path on both servers.
const (
	hot4KPath  = "hot/4k.bin"
	hot64KPath = "hot/64k.bin"
	bigGLBPath = "big/model.glb"

	bigGLBSize  = 20 << 20 // bytes: large enough that a whole-file cache hit is not what is measured
	rangeWindow = 64 << 10 // bytes per Range request
)

// assetSeed fixes the file contents so that runs on different days serve the
// same bytes.
const assetSeed = 0x5354524154410001

// asset is one file of the benchmark data set.
type asset struct {
	path string // relative to the assets directory, slash-separated
	size int64
}

var assets = []asset{
	{hot4KPath, 4 << 10},
	{hot64KPath, 64 << 10},
	{bigGLBPath, bigGLBSize},
}

// writeAssets creates the data set under dir, replacing files that exist.
func writeAssets(dir string) error {
	for i, a := range assets {
		name := filepath.Join(dir, filepath.FromSlash(a.path))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return fmt.Errorf("origin: create asset dir: %w", err)
		}
		rng := rand.NewChaCha8(seedBytes(assetSeed + uint64(i)))
		var err error
		if filepath.Ext(a.path) == ".glb" {
			err = writeFile(name, func(w *bufio.Writer) error { return writeGLB(w, a.size, rng) })
		} else {
			err = writeFile(name, func(w *bufio.Writer) error { return copyRandom(w, a.size, rng) })
		}
		if err != nil {
			return fmt.Errorf("origin: write %s: %w", a.path, err)
		}
	}
	return nil
}

func seedBytes(v uint64) (seed [32]byte) {
	binary.LittleEndian.PutUint64(seed[:], v)
	return seed
}

func writeFile(name string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	// 0644 because nginx workers may run as another user than the one running
	// the benchmark.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func copyRandom(w *bufio.Writer, n int64, rng *rand.ChaCha8) error {
	buf := make([]byte, 32<<10)
	for n > 0 {
		chunk := buf[:min(int64(len(buf)), n)]
		_, _ = rng.Read(chunk)
		if _, err := w.Write(chunk); err != nil {
			return err
		}
		n -= int64(len(chunk))
	}
	return nil
}

// GLB container constants (glTF 2.0 spec, "Binary glTF Layout").
const (
	glbMagic     = 0x46546C67 // "glTF"
	glbVersion   = 2
	glbChunkJSON = 0x4E4F534A // "JSON"
	glbChunkBIN  = 0x004E4942 // "BIN\0"
	glbHeaderLen = 12
	glbChunkHead = 8
)

// writeGLB writes a GLB of exactly size bytes: a minimal glTF JSON chunk that
// declares one buffer, and a BIN chunk of random bytes filling the rest. The
// bytes need not be a mesh: neither server looks inside, but a real GLB keeps
// content-type and tooling paths honest.
func writeGLB(w *bufio.Writer, size int64, rng *rand.ChaCha8) error {
	doc, binLen, err := glbLayout(size)
	if err != nil {
		return err
	}
	header := make([]byte, 0, glbHeaderLen+glbChunkHead)
	header = binary.LittleEndian.AppendUint32(header, glbMagic)
	header = binary.LittleEndian.AppendUint32(header, glbVersion)
	header = binary.LittleEndian.AppendUint32(header, uint32(size))
	header = binary.LittleEndian.AppendUint32(header, uint32(len(doc)))
	header = binary.LittleEndian.AppendUint32(header, glbChunkJSON)
	if _, err := w.Write(header); err != nil {
		return err
	}
	if _, err := w.Write(doc); err != nil {
		return err
	}
	var binHead []byte
	binHead = binary.LittleEndian.AppendUint32(binHead, uint32(binLen))
	binHead = binary.LittleEndian.AppendUint32(binHead, glbChunkBIN)
	if _, err := w.Write(binHead); err != nil {
		return err
	}
	return copyRandom(w, binLen, rng)
}

// glbLayout returns the padded JSON chunk and the BIN chunk length for a GLB
// of exactly size bytes. The JSON states the BIN length, whose digit count
// changes the JSON length, so it iterates to a fixed point (two passes in practice).
func glbLayout(size int64) ([]byte, int64, error) {
	binLen := size - glbHeaderLen - 2*glbChunkHead
	for range 8 {
		doc, err := json.Marshal(map[string]any{
			"asset":   map[string]string{"version": "2.0", "generator": "strata bench/origin"},
			"buffers": []map[string]int64{{"byteLength": binLen}},
		})
		if err != nil {
			return nil, 0, err
		}
		for len(doc)%4 != 0 {
			doc = append(doc, ' ') // the spec pads the JSON chunk with spaces
		}
		next := size - glbHeaderLen - 2*glbChunkHead - int64(len(doc))
		if next < 0 || next%4 != 0 {
			return nil, 0, fmt.Errorf("origin: no GLB layout for %d bytes", size)
		}
		if next == binLen {
			return doc, binLen, nil
		}
		binLen = next
	}
	return nil, 0, fmt.Errorf("origin: GLB layout for %d bytes does not converge", size)
}
