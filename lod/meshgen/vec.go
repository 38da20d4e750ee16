package meshgen

import "math"

// vec3 is the float64 working type; meshes store float32, but building in
// float64 keeps long chains of transforms from drifting.
type vec3 [3]float64

func (a vec3) add(b vec3) vec3             { return vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a vec3) sub(b vec3) vec3             { return vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a vec3) scale(s float64) vec3        { return vec3{a[0] * s, a[1] * s, a[2] * s} }
func (a vec3) dot(b vec3) float64          { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a vec3) length() float64             { return math.Sqrt(a.dot(a)) }
func (a vec3) lerp(b vec3, t float64) vec3 { return a.add(b.sub(a).scale(t)) }

func (a vec3) cross(b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// normalize returns a unit vector, or fallback when a is (nearly) zero.
func (a vec3) normalize(fallback vec3) vec3 {
	l := a.length()
	if l < 1e-300 || math.IsNaN(l) {
		return fallback
	}
	return a.scale(1 / l)
}

// vec2 is a point in a 2D profile: for lathes x is the radius and y the height.
type vec2 [2]float64

// frame is a rigid placement: columns of the rotation, then the origin.
// Rigid transforms keep winding and unit normals, which the tests rely on.
type frame struct {
	x, y, z vec3
	origin  vec3
}

var identity = frame{x: vec3{1, 0, 0}, y: vec3{0, 1, 0}, z: vec3{0, 0, 1}}

func translate(t vec3) frame { f := identity; f.origin = t; return f }

// rotateX returns a rotation by angle radians about +X, then a translation.
func rotateX(angle float64, t vec3) frame {
	s, c := math.Sincos(angle)
	return frame{x: vec3{1, 0, 0}, y: vec3{0, c, s}, z: vec3{0, -s, c}, origin: t}
}

func (f frame) dir(v vec3) vec3   { return f.x.scale(v[0]).add(f.y.scale(v[1])).add(f.z.scale(v[2])) }
func (f frame) point(v vec3) vec3 { return f.dir(v).add(f.origin) }

// alignY returns a rigid frame whose +Y axis points along dir, placed at
// origin; used to stand lathed details (buttons, plumes) on a surface.
func alignY(dir, origin vec3) frame {
	y := dir.normalize(vec3{0, 1, 0})
	x := perpendicular(y)
	return frame{x: x, y: y, z: x.cross(y), origin: origin}
}

// then returns the frame that applies inner first and outer second.
func (outer frame) then(inner frame) frame {
	return frame{x: outer.dir(inner.x), y: outer.dir(inner.y), z: outer.dir(inner.z), origin: outer.point(inner.origin)}
}
