package lod

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/qmuntal/gltf"
)

// Accessor reading. parse has already checked every range used here, so
// these functions only slice.

// elementSize is the byte size of one element; matrix columns of 1- and
// 2-byte components are padded to 4-byte boundaries, as the spec says.
func elementSize(ct gltf.ComponentType, t gltf.AccessorType) int {
	cs := componentSize(ct)
	switch {
	case t == gltf.AccessorMat2 && cs == 1:
		return 8
	case t == gltf.AccessorMat3 && cs == 1:
		return 12
	case t == gltf.AccessorMat3 && cs == 2:
		return 24
	}
	return cs * t.Components()
}

func componentSize(ct gltf.ComponentType) int {
	switch ct {
	case gltf.ComponentByte, gltf.ComponentUbyte:
		return 1
	case gltf.ComponentShort, gltf.ComponentUshort:
		return 2
	}
	return 4
}

// packed returns accessor i's elements tightly packed (elementSize bytes
// each) with any sparse substitution applied. The result may alias the
// input buffer; callers must not modify it.
func (s *source) packed(i int) ([]byte, error) {
	a := s.doc.Accessors[i]
	size := elementSize(a.ComponentType, a.Type)
	var out []byte
	if a.BufferView == nil {
		out = make([]byte, size*a.Count)
	} else {
		v := s.doc.BufferViews[*a.BufferView]
		data := s.buffers[v.Buffer][v.ByteOffset : v.ByteOffset+v.ByteLength]
		stride := v.ByteStride
		if stride == 0 || stride == size {
			out = data[a.ByteOffset : a.ByteOffset+size*a.Count]
		} else {
			out = make([]byte, size*a.Count)
			for e := range a.Count {
				copy(out[e*size:(e+1)*size], data[a.ByteOffset+e*stride:])
			}
		}
	}
	if a.Sparse == nil {
		return out, nil
	}
	out = append([]byte(nil), out...)
	sp := a.Sparse
	iv := s.doc.BufferViews[sp.Indices.BufferView]
	idx := s.buffers[iv.Buffer][iv.ByteOffset+sp.Indices.ByteOffset:]
	vv := s.doc.BufferViews[sp.Values.BufferView]
	vals := s.buffers[vv.Buffer][vv.ByteOffset+sp.Values.ByteOffset:]
	prev := int64(-1)
	for k := range sp.Count {
		e := int64(readUint(idx, sp.Indices.ComponentType, k))
		if e <= prev || e >= int64(a.Count) {
			return nil, invalid(fmt.Sprintf("/accessors/%d/sparse/indices", i), "index %d at position %d is out of order or not below count %d", e, k, a.Count)
		}
		prev = e
		copy(out[int(e)*size:(int(e)+1)*size], vals[k*size:(k+1)*size])
	}
	return out, nil
}

func readUint(b []byte, ct gltf.ComponentType, k int) uint32 {
	switch ct {
	case gltf.ComponentUbyte:
		return uint32(b[k])
	case gltf.ComponentUshort:
		return uint32(binary.LittleEndian.Uint16(b[2*k:]))
	default:
		return binary.LittleEndian.Uint32(b[4*k:])
	}
}

// floats decodes a SCALAR…VEC4 accessor to float32, applying the
// normalization rules of the spec.
func (s *source) floats(i int, where string) ([]float32, int, error) {
	a := s.doc.Accessors[i]
	if a.Type > gltf.AccessorVec4 {
		return nil, 0, invalid(where, "accessor %d is a %s, want SCALAR or a vector", i, a.Type)
	}
	raw, err := s.packed(i)
	if err != nil {
		return nil, 0, err
	}
	n := a.Count * a.Type.Components()
	out := make([]float32, n)
	decodeComponents(out, raw, a.ComponentType, a.Normalized)
	for k, f := range out {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, 0, invalid(where, "accessor %d holds a non-finite value at element %d", i, k/a.Type.Components())
		}
	}
	return out, a.Type.Components(), nil
}

// decodeComponents converts len(out) components of type ct from raw.
func decodeComponents(out []float32, raw []byte, ct gltf.ComponentType, normalized bool) {
	switch ct {
	case gltf.ComponentFloat:
		for k := range out {
			out[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
		}
	case gltf.ComponentByte:
		for k := range out {
			v := float32(int8(raw[k]))
			if normalized {
				v = max(v/127, -1)
			}
			out[k] = v
		}
	case gltf.ComponentUbyte:
		for k := range out {
			v := float32(raw[k])
			if normalized {
				v /= 255
			}
			out[k] = v
		}
	case gltf.ComponentShort:
		for k := range out {
			v := float32(int16(binary.LittleEndian.Uint16(raw[2*k:])))
			if normalized {
				v = max(v/32767, -1)
			}
			out[k] = v
		}
	case gltf.ComponentUshort:
		for k := range out {
			v := float32(binary.LittleEndian.Uint16(raw[2*k:]))
			if normalized {
				v /= 65535
			}
			out[k] = v
		}
	case gltf.ComponentUint:
		for k := range out {
			out[k] = float32(binary.LittleEndian.Uint32(raw[4*k:]))
		}
	}
}

// encodeComponents is the inverse of decodeComponents. Bake never moves a
// vertex, so values decoded from integers convert back exactly.
func encodeComponents(dst []byte, in []float32, ct gltf.ComponentType, normalized bool) {
	switch ct {
	case gltf.ComponentFloat:
		for k, v := range in {
			binary.LittleEndian.PutUint32(dst[4*k:], math.Float32bits(v))
		}
	case gltf.ComponentByte:
		for k, v := range in {
			if normalized {
				v *= 127
			}
			dst[k] = byte(int8(clampRound(v, -128, 127)))
		}
	case gltf.ComponentUbyte:
		for k, v := range in {
			if normalized {
				v *= 255
			}
			dst[k] = byte(clampRound(v, 0, 255))
		}
	case gltf.ComponentShort:
		for k, v := range in {
			if normalized {
				v *= 32767
			}
			binary.LittleEndian.PutUint16(dst[2*k:], uint16(int16(clampRound(v, -32768, 32767))))
		}
	case gltf.ComponentUshort:
		for k, v := range in {
			if normalized {
				v *= 65535
			}
			binary.LittleEndian.PutUint16(dst[2*k:], uint16(clampRound(v, 0, 65535)))
		}
	case gltf.ComponentUint:
		for k, v := range in {
			binary.LittleEndian.PutUint32(dst[4*k:], uint32(clampRound(v, 0, math.MaxUint32)))
		}
	}
}

func clampRound(v float32, lo, hi float64) int64 {
	return int64(math.Max(lo, math.Min(hi, math.Round(float64(v)))))
}

// indices reads an index accessor and checks every index against the
// vertex count.
func (s *source) indices(i, vertices int, where string) ([]uint32, error) {
	a := s.doc.Accessors[i]
	if a.Type != gltf.AccessorScalar || (a.ComponentType != gltf.ComponentUbyte && a.ComponentType != gltf.ComponentUshort && a.ComponentType != gltf.ComponentUint) {
		return nil, invalid(where, "accessor %d is %s %s, indices must be SCALAR unsigned integers", i, a.Type, a.ComponentType)
	}
	raw, err := s.packed(i)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, a.Count)
	for k := range out {
		v := readUint(raw, a.ComponentType, k)
		if int64(v) >= int64(vertices) {
			return nil, invalid(where, "index %d at position %d is out of range for %d vertices", v, k, vertices)
		}
		out[k] = v
	}
	return out, nil
}
