package meshgen

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Demo returns Strata's demo catalogue: furniture generated in code, from
// about 20k to about 420k triangles so that the LOD pipeline has both light
// and heavy work. Each call builds fresh models (callers may modify them);
// the result is identical on every call.
func Demo() []Model {
	plans := []modelPlan{vase(), floorLamp(), bookshelf(), armchair(), diningTable(), sofa()}
	out := make([]Model, len(plans))
	type job struct{ model, part int }
	var jobs []job
	for i, p := range plans {
		out[i] = Model{Name: p.name, Title: p.title, Parts: make([]Part, len(p.parts))}
		for j := range p.parts {
			jobs = append(jobs, job{i, j})
		}
	}
	// Parts are independent, so they are built in parallel, heaviest
	// models first (they come last in plans) so no core idles at the end.
	// Each job writes only its own slot, which keeps the result
	// deterministic.
	slices.Reverse(jobs)
	next := make(chan job)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for j := range next {
				out[j.model].Parts[j.part] = plans[j.model].parts[j.part]()
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return out
}

// modelPlan is a model whose parts are still to be built.
type modelPlan struct {
	name, title string
	parts       []func() Part
}

// Materials shared by the catalogue. Colours are linear RGB.
var (
	matOak       = Material{Name: "oak", BaseColor: [4]float32{0.42, 0.25, 0.12, 1}, Roughness: 0.55}
	matWalnut    = Material{Name: "walnut", BaseColor: [4]float32{0.16, 0.08, 0.04, 1}, Roughness: 0.45}
	matBrass     = Material{Name: "brushed brass", BaseColor: [4]float32{0.91, 0.71, 0.38, 1}, Metallic: 1, Roughness: 0.32}
	matBlackIron = Material{Name: "black iron", BaseColor: [4]float32{0.03, 0.03, 0.03, 1}, Metallic: 1, Roughness: 0.5}
)

// part returns a function that builds one Part with build, placed at at.
func part(name string, mat Material, at vec3, build func(b *builder)) func() Part {
	return func() Part {
		var b builder
		build(&b)
		return Part{
			Name:        name,
			Mesh:        b.mesh(),
			Material:    mat,
			Translation: [3]float32{float32(at[0]), float32(at[1]), float32(at[2])},
		}
	}
}

// woodGrain returns a vertex-colour function that modulates a wood
// material with growth-ring stripes running along axis, warped by noise so
// the figure looks natural. The colour multiplies the material's base colour.
func woodGrain(seed int64, axis int) func(p vec3) [4]float64 {
	nz := newNoise(seed)
	return func(p vec3) [4]float64 {
		// Distance from a virtual log centre line parallel to axis.
		var q vec3
		for k := range 3 {
			if k != axis {
				q[k] = p[k]
			}
		}
		warp := nz.fbm(p.scale(3), 3)
		rings := q.add(vec3{0.31, 0.17, 0.23}).length()*55 + 2.2*warp
		g := 0.5 + 0.5*math.Sin(2*math.Pi*rings)
		g = g * g
		fine := 0.04 * nz.at(p[0]*90, p[1]*90, p[2]*90)
		return [4]float64{0.82 + 0.18*g + fine, 0.80 + 0.20*g + fine, 0.78 + 0.22*g + fine, 1}
	}
}

// newRand returns the deterministic generator for one model's random choices.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x57_4a_7a)) }

// jitter returns v scaled by a random factor in [1−amount, 1+amount].
func jitter(r *rand.Rand, v, amount float64) float64 { return v * (1 + amount*(2*r.Float64()-1)) }
