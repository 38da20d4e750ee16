package simplify_test

import (
	"math"
	"testing"

	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/simplify"
)

// grid returns an n×n-cell square in the z = h plane, side 1.
func grid(n int, h float32) simplify.Mesh {
	var m simplify.Mesh
	for j := 0; j <= n; j++ {
		for i := 0; i <= n; i++ {
			m.Positions = append(m.Positions, float32(i)/float32(n), float32(j)/float32(n), h)
		}
	}
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			v := uint32(j*(n+1) + i)
			m.Indices = append(m.Indices, v, v+1, v+uint32(n)+1, v+1, v+uint32(n)+2, v+uint32(n)+1)
		}
	}
	return m
}

func TestHausdorff(t *testing.T) {
	square := grid(8, 0)
	lifted := grid(5, 0.1)
	half := simplify.Mesh{Positions: square.Positions, Indices: square.Indices[:len(square.Indices)/2]}
	diag := math.Sqrt(2)
	tests := []struct {
		name string
		a, b simplify.Mesh
		want float64
		tol  float64
	}{
		{"identical", square, square, 0, 1e-12},
		{"retriangulated plane", square, grid(3, 0), 0, 1e-6},
		{"parallel planes", square, lifted, 0.1 / diag, 1e-6},
		// The far edge of the square is 0.5 away from the half that is
		// left; vertices are always sampled, so the maximum is exact.
		{"missing half", square, half, 0.5 / diag, 1e-6},
		{"empty both", simplify.Mesh{}, simplify.Mesh{}, 0, 0},
		{"empty one", square, simplify.Mesh{}, math.Inf(1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := simplify.Hausdorff(tt.a, tt.b, 2000, 1)
			if math.IsInf(tt.want, 1) {
				if !math.IsInf(got, 1) {
					t.Fatalf("got %g, want +Inf", got)
				}
				return
			}
			if math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("got %g, want %g ± %g", got, tt.want, tt.tol)
			}
			if back := simplify.Hausdorff(tt.b, tt.a, 2000, 1); tt.name != "missing half" && math.Abs(back*diagOf(tt.b)-got*diagOf(tt.a)) > 1e-6 {
				t.Errorf("not symmetric: %g vs %g (absolute)", got*diagOf(tt.a), back*diagOf(tt.b))
			}
		})
	}
}

func diagOf(m simplify.Mesh) float64 {
	lo, hi := bbox(m, m.Indices)
	return length(sub(hi, lo))
}

func TestHausdorffIsDeterministic(t *testing.T) {
	g := meshgen.Displaced(20_000, 3)
	m := positionsOnly(g)
	r := mustSimplify(t, m, simplify.Options{TargetTriangles: 1000})
	s := simplify.Mesh{Positions: m.Positions, Indices: r.Indices}
	a := simplify.Hausdorff(m, s, 5000, 7)
	b := simplify.Hausdorff(m, s, 5000, 7)
	if a != b || !(a > 0) {
		t.Fatalf("two runs gave %g and %g", a, b)
	}
}
