package httpsem

// mediaType is what the server knows about an extension.
type mediaType struct {
	contentType  string
	compressible bool
}

// octetStream is the type of every unknown extension: no sniffing, so a file
// never turns into HTML because of what it contains.
const octetStream = "application/octet-stream"

// mediaTypes maps lower-case extensions, dot included, to their type. Text
// types name their charset so browsers never guess. .bin is compressible
// because glTF buffers of vertex data shrink well, unlike the already
// compressed images and KTX2 textures; .glb is not, as its buffers are
// usually meshopt- or Draco-compressed and the JSON chunk is small.
var mediaTypes = map[string]mediaType{
	".glb":  {"model/gltf-binary", false},
	".gltf": {"model/gltf+json", true},
	".bin":  {octetStream, true},
	".ktx2": {"image/ktx2", false},
	".png":  {"image/png", false},
	".jpg":  {"image/jpeg", false},
	".jpeg": {"image/jpeg", false},
	".webp": {"image/webp", false},
	".avif": {"image/avif", false},
	".svg":  {"image/svg+xml", true},
	".json": {"application/json", true},
	".map":  {"application/json", true},
	".js":   {"text/javascript; charset=utf-8", true},
	".mjs":  {"text/javascript; charset=utf-8", true},
	".css":  {"text/css; charset=utf-8", true},
	".html": {"text/html; charset=utf-8", true},
	".htm":  {"text/html; charset=utf-8", true},
	".txt":  {"text/plain; charset=utf-8", true},
	".wasm": {"application/wasm", true},
}

// maxExtLen is the longest extension in mediaTypes, dot included.
const maxExtLen = len(".gltf")

// lookupMediaType finds key's extension, as path.Ext does (the part of the
// last segment from its last dot), ignoring ASCII case without allocating.
func lookupMediaType(key string) (mediaType, bool) {
	for i := len(key) - 1; i >= 0 && len(key)-i <= maxExtLen; i-- {
		switch key[i] {
		case '/':
			return mediaType{}, false
		case '.':
			var buf [maxExtLen]byte
			ext := buf[:len(key)-i]
			for j := range ext {
				ext[j] = lowerASCII(key[i+j])
			}
			mt, ok := mediaTypes[string(ext)] // the compiler does not allocate for this conversion
			return mt, ok
		}
	}
	return mediaType{}, false
}

// ContentType returns the Content-Type for an object key, decided by its
// extension alone, case-insensitively; unknown extensions get
// application/octet-stream.
func ContentType(key string) string {
	if mt, ok := lookupMediaType(key); ok {
		return mt.contentType
	}
	return octetStream
}

// Compressible reports whether an object is worth compressing with gzip or
// br on the fly or ahead of time: text formats, glTF JSON, raw glTF buffers
// and WebAssembly; not formats that are compressed already.
func Compressible(key string) bool {
	mt, _ := lookupMediaType(key)
	return mt.compressible
}
