package lod

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Coarse levels get smaller textures: each level's images are the previous
// level's scaled by Config.TextureScale (Catmull-Rom, in premultiplied
// RGBA), never below MinTextureSize. PNG stays PNG and JPEG stays JPEG.
// WebP can be decoded (golang.org/x/image/webp) but not encoded in pure Go,
// so a downscaled WebP becomes PNG when it has transparency and JPEG when it
// is opaque (PNG would be several times the size of the WebP for
// photographic content). Textures in other formats (KTX2, or anything that
// fails to decode) keep their original bytes at every level. A downscaled
// image that encodes larger than the finer one it came from is not used:
// the level keeps the finer image instead.

// imageVersion is one encoding of an image.
type imageVersion struct {
	data []byte
	mime string
}

// textureChain holds every image's versions and which one each level uses.
type textureChain struct {
	versions [][]imageVersion // versions[i][0] is image i as input
	at       [][]int          // at[i][k] is the version of image i at level k
}

// version returns the bytes of image i at level k.
func (t *textureChain) version(i, k int) imageVersion { return t.versions[i][t.at[i][k]] }

// downscaleTextures computes each textured image's versions for levels
// levels, one image per worker at a time.
func downscaleTextures(ctx context.Context, src *source, levels int, cfg Config, done func()) (*textureChain, []string, error) {
	n := len(src.images)
	t := &textureChain{versions: make([][]imageVersion, n), at: make([][]int, n)}
	used := make([]bool, n)
	for _, tex := range src.doc.Textures {
		if tex.Source != nil {
			used[*tex.Source] = true
		}
		for _, name := range sortedKeys(tex.Extensions) {
			if s, ok := extensionSource(tex.Extensions[name]); ok {
				used[s] = true
			}
		}
	}
	warnings := make([]string, n)
	err := parallel(ctx, cfg.Workers, n, func(_ context.Context, i int) error {
		defer done()
		im := src.images[i]
		t.versions[i] = []imageVersion{{data: im.data, mime: im.mime}}
		t.at[i] = make([]int, levels)
		if !used[i] || levels == 1 || cfg.TextureScale == 1 {
			return nil
		}
		var err error
		if t.versions[i], t.at[i], err = imageChain(im, levels, cfg); err != nil {
			warnings[i] = fmt.Sprintf("/images/%d: kept at full size on every level: %v", i, err)
			t.versions[i] = []imageVersion{{data: im.data, mime: im.mime}}
			t.at[i] = make([]int, levels)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for _, w := range warnings {
		if w != "" {
			out = append(out, w)
		}
	}
	return t, out, nil
}

// imageChain decodes one image and downscales it level by level.
func imageChain(im imageSource, levels int, cfg Config) ([]imageVersion, []int, error) {
	versions := []imageVersion{{data: im.data, mime: im.mime}}
	at := make([]int, levels)
	var img image.Image
	var err error
	outMime := im.mime
	switch im.mime {
	case "image/png":
		img, err = png.Decode(bytes.NewReader(im.data))
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(im.data))
	case "image/webp":
		img, err = webp.Decode(bytes.NewReader(im.data))
		outMime = "image/jpeg"
		if o, ok := img.(interface{ Opaque() bool }); err == nil && (!ok || !o.Opaque()) {
			outMime = "image/png"
		}
	default:
		return versions, at, nil // not a format Bake decodes; kept as is
	}
	if err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", im.mime, err)
	}
	b := img.Bounds()
	w0, h0 := b.Dx(), b.Dy()
	cur := img
	for k := 1; k < levels; k++ {
		at[k] = at[k-1]
		scale := math.Pow(cfg.TextureScale, float64(k))
		w := max(min(cfg.MinTextureSize, w0), int(math.Round(float64(w0)*scale)))
		h := max(min(cfg.MinTextureSize, h0), int(math.Round(float64(h0)*scale)))
		cb := cur.Bounds()
		if w >= cb.Dx() && h >= cb.Dy() {
			continue
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), cur, cb, draw.Src, nil)
		cur = dst
		data, err := encodeImage(dst, outMime, cfg)
		if err != nil {
			return nil, nil, err
		}
		if len(data) >= len(versions[at[k]].data) {
			continue
		}
		versions = append(versions, imageVersion{data: data, mime: outMime})
		at[k] = len(versions) - 1
	}
	return versions, at, nil
}

func encodeImage(img *image.RGBA, mime string, cfg Config) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if mime == "image/jpeg" {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: cfg.JPEGQuality})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", mime, err)
	}
	return buf.Bytes(), nil
}

// sniffImage recognises an image format by its magic bytes; "" if unknown.
func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(b, []byte("\xabKTX 20\xbb\r\n\x1a\n")):
		return "image/ktx2"
	}
	return ""
}

// imageSize reads an image's dimensions from its header, for the formats
// Bake decodes.
func imageSize(b []byte, mime string) (w, h int, ok bool) {
	var cfg image.Config
	var err error
	switch mime {
	case "image/png":
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
	case "image/jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
	case "image/webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(b))
	default:
		return 0, 0, false
	}
	if err != nil {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}
