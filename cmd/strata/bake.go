package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/strata3d/strata/lod"
)

const bakeSynopsis = `usage: strata bake IN.glb|IN.gltf -o DIR [flags]

Bakes levels of detail: writes DIR/progressive.glb (one GLB that streams
coarsest level first, MSFT_lod), DIR/lod0.glb … lodN.glb (one standalone
file per level, lod0 the finest) and DIR/manifest.json (see docs/manifest.md).`

// bakeConfig is everything `strata bake` is configured with.
type bakeConfig struct {
	LOD      lod.Config
	In       string
	Out      string
	Progress string // auto, bar, plain or off
}

func defaultBakeConfig() bakeConfig {
	return bakeConfig{LOD: lod.DefaultConfig(), Progress: "auto"}
}

func (c *bakeConfig) flags(fs *commandFlags) {
	l := &c.LOD
	fs.StringVar(&c.Out, "out", c.Out, "output directory, created if missing (-o is short for --out)")
	fs.StringVar(&c.Progress, "progress", c.Progress, "progress display: auto (a bar on a terminal, plain lines otherwise), bar, plain or off")
	fs.Var(floatList{&l.Ratios}, "ratios", "triangle ratio of each level to the input, finest first, starting at 1")
	fs.Var(floatList{&l.ErrorBudget}, "error-budget", "instead of --ratios: relative error of each level after the first, e.g. 0.002,0.01,0.05")
	fs.Float64Var(&l.MaxError, "max-error", l.MaxError, "cap on every level's geometric error, as a fraction of each mesh's extent")
	fs.IntVar(&l.MinTriangles, "min-triangles", l.MinTriangles, "no level with fewer triangles than this (level 0 always)")
	fs.bytes(&l.MaxInputBytes, "max-input-bytes", "largest input, the file plus every resource it loads")
	fs.IntVar(&l.MaxVertices, "max-vertices", l.MaxVertices, "most vertices over all triangle primitives")
	fs.IntVar(&l.MaxTriangles, "max-triangles", l.MaxTriangles, "most triangles over all triangle primitives")
	fs.Int64Var(&l.MaxTexturePixels, "max-texture-pixels", l.MaxTexturePixels, "most pixels (width×height) of one texture")
	fs.Var(float32Value{&l.NormalWeight}, "normal-weight", "weight of normals in the simplifier's error")
	fs.Var(float32Value{&l.UVWeight}, "uv-weight", "weight of texture coordinates in the simplifier's error")
	fs.Var(float32Value{&l.ColorWeight}, "color-weight", "weight of vertex colours in the simplifier's error")
	fs.Float64Var(&l.TextureScale, "texture-scale", l.TextureScale, "linear texture scale from one level to the next coarser; 1 keeps full size")
	fs.IntVar(&l.MinTextureSize, "min-texture-size", l.MinTextureSize, "smallest texture width or height, in pixels, after downscaling")
	fs.IntVar(&l.JPEGQuality, "jpeg-quality", l.JPEGQuality, "quality of re-encoded JPEG textures, 1-100")
	fs.IntVar(&l.ViewportPixels, "viewport-pixels", l.ViewportPixels, "viewport height the screen coverage values assume")
	fs.Float64Var(&l.ErrorPixels, "error-pixels", l.ErrorPixels, "on-screen error, in pixels, at which a coarser level takes over")
	fs.IntVar(&l.Workers, "workers", l.Workers, "meshes simplified in parallel")
}

func (c *bakeConfig) validate() error {
	var errs []error
	if c.In == "" {
		errs = append(errs, errors.New("missing input file: strata bake IN.glb -o DIR"))
	}
	if c.Out == "" {
		errs = append(errs, errors.New("missing output directory: -o DIR"))
	}
	switch c.Progress {
	case "auto", "bar", "plain", "off":
	default:
		errs = append(errs, fmt.Errorf("--progress must be auto, bar, plain or off, got %q", c.Progress))
	}
	if err := c.LOD.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func runBake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultBakeConfig()
	fs := newCommandFlags("bake", bakeSynopsis, stderr)
	cfg.flags(fs)
	in, rest, err := splitBakeArgs(fs.FlagSet, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := fs.parse(rest, osLookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg.In = in
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	input, err := readBakeInput(cfg.In, cfg.LOD.MaxInputBytes)
	if err != nil {
		return err
	}
	display := newBakeProgress(cfg.Progress, stderr)
	cfg.LOD.Progress = display.update
	res, err := lod.Bake(ctx, input, cfg.LOD)
	display.close()
	if err != nil {
		return err
	}
	if err := writeBakeFiles(cfg.Out, res); err != nil {
		return err
	}
	printBakeSummary(stdout, cfg.Out, res)
	return nil
}

// splitBakeArgs takes the input file out of args, wherever it is, and
// turns -o into --out, so that `strata bake IN -o DIR` and
// `strata bake -o DIR IN` both work with the shared flag parser.
func splitBakeArgs(fs *flag.FlagSet, args []string) (in string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, p := range args[i+1:] {
				if in != "" {
					return "", nil, fmt.Errorf("unexpected argument %q: one input file at a time", p)
				}
				in = p
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if in != "" {
				return "", nil, fmt.Errorf("unexpected argument %q: one input file at a time", a)
			}
			in = a
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "o" {
			a = "--out" + strings.TrimPrefix(strings.TrimLeft(a, "-"), "o")
			name = "out"
		}
		rest = append(rest, a)
		// A flag that takes a value consumes the next argument.
		if f := fs.Lookup(name); f != nil && !hasValue && !isBoolFlag(f) && i+1 < len(args) {
			i++
			rest = append(rest, args[i])
		}
	}
	return in, rest, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// readBakeInput reads a GLB or .gltf; a .gltf's external files are read
// from its directory and never from outside it.
func readBakeInput(path string, maxBytes int64) (lod.Input, error) {
	data, err := readLimited(path, maxBytes)
	if err != nil {
		return lod.Input{}, err
	}
	in := lod.Input{Name: filepath.Base(path), Data: data}
	if strings.EqualFold(filepath.Ext(path), ".gltf") {
		root, err := os.OpenRoot(filepath.Dir(path))
		if err != nil {
			return lod.Input{}, err
		}
		// The root stays open for the bake; the process ends soon after.
		in.Resolve = func(uri string) ([]byte, error) {
			f, err := root.Open(filepath.FromSlash(uri))
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return io.ReadAll(io.LimitReader(f, maxBytes+1))
		}
	}
	return in, nil
}

func readLimited(path string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%s is larger than --max-input-bytes (%d)", path, maxBytes)
	}
	return data, nil
}

// writeBakeFiles writes every file through a temporary name and a rename,
// manifest last, so that a reader never sees a manifest whose files are
// not complete.
func writeBakeFiles(dir string, res *lod.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range res.Files {
		path := filepath.Join(dir, f.Name)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, f.Data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	return nil
}

func printBakeSummary(w io.Writer, dir string, res *lod.Result) {
	m := res.Manifest
	fmt.Fprintf(w, "%s: %d triangles, %d vertices, extent %.4g → %d levels in %s\n\n", m.Source.Name, m.Source.Triangles, m.Source.Vertices, m.Extent, len(m.Levels), dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "level\ttriangles\ttarget\tvertices\terror\trelative\tcoverage\tfile\tbytes\tprogressive prefix\t")
	for _, l := range m.Levels {
		target := "-"
		if l.TargetTriangles > 0 {
			target = strconv.Itoa(l.TargetTriangles)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%.3g\t%.3g%%\t%.3g\t%s\t%s\t%s\t\n",
			l.Level, l.Triangles, target, l.Vertices, l.Error, 100*l.RelativeError, l.ScreenCoverage, l.File, humanBytes(l.Bytes), humanBytes(l.ProgressivePrefix))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s: %s, header %s\n", m.Progressive.File, humanBytes(m.Progressive.Bytes), humanBytes(m.Progressive.HeaderBytes))
	for _, p := range res.PassThrough {
		fmt.Fprintf(w, "passed through: mesh %d %q primitive %d: %s\n", p.Mesh, p.MeshName, p.Primitive, p.Reason)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// bakeProgress shows lod.Progress as a bar on a terminal or as one line
// per stage otherwise.
type bakeProgress struct {
	mode  string
	w     io.Writer
	bar   *progressbar.ProgressBar
	stage string
}

func newBakeProgress(mode string, w io.Writer) *bakeProgress {
	if mode == "auto" {
		mode = "plain"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	p := &bakeProgress{mode: mode, w: w}
	if mode == "bar" {
		p.bar = progressbar.NewOptions(1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("parse"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *bakeProgress) update(pr lod.Progress) {
	switch p.mode {
	case "bar":
		p.bar.ChangeMax(pr.Total)
		if pr.Stage != p.stage {
			p.bar.Describe(pr.Stage)
		}
		_ = p.bar.Set(pr.Done)
	case "plain":
		if pr.Stage != p.stage {
			fmt.Fprintf(p.w, "bake: %s (%d/%d)\n", pr.Stage, pr.Done, pr.Total)
		}
	}
	p.stage = pr.Stage
}

func (p *bakeProgress) close() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// floatList is a comma-separated list of numbers; fractions like 1/4 are
// accepted.
type floatList struct{ p *[]float64 }

func (l floatList) String() string {
	if l.p == nil {
		return ""
	}
	parts := make([]string, len(*l.p))
	for i, v := range *l.p {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (l floatList) Set(s string) error {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		num, den, isFrac := strings.Cut(part, "/")
		v, err := strconv.ParseFloat(num, 64)
		if err == nil && isFrac {
			var d float64
			if d, err = strconv.ParseFloat(den, 64); err == nil {
				v /= d
			}
		}
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%q is not a number", part)
		}
		out = append(out, v)
	}
	*l.p = out
	return nil
}

// float32Value is a float32 flag.
type float32Value struct{ p *float32 }

func (f float32Value) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.FormatFloat(float64(*f.p), 'g', -1, 32)
}

func (f float32Value) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
	if err != nil {
		return errors.New("not a number")
	}
	*f.p = float32(v)
	return nil
}
