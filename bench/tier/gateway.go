package tier

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/strata3d/strata/bench/origin"
	"github.com/strata3d/strata/cache"
	"github.com/strata3d/strata/cache/s3store"
)

// bucket is the one bucket of a run; a plain name, so it can sit unquoted
// in nginx.conf.
const bucket = "strata-bench"

// gateway is a versitygw process over a posix directory in the work dir,
// with one bucket that anonymous clients may read (nginx has no SigV4).
type gateway struct {
	proc     *origin.Process
	endpoint string // http://127.0.0.1:PORT
	access   string
	secret   string
	admin    *s3.Client
	store    *s3store.Store // writes objects the way Strata does
}

// startGateway starts versitygw on a free loopback port with fresh random
// root keys, creates the bucket and makes its objects publicly readable.
// The caller must stop it.
func startGateway(ctx context.Context, bin, dir string) (_ *gateway, err error) {
	data := filepath.Join(dir, "s3")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, fmt.Errorf("tier: gateway dir: %w", err)
	}
	port, err := origin.FreePort()
	if err != nil {
		return nil, err
	}
	g := &gateway{endpoint: "http://127.0.0.1:" + strconv.Itoa(port), access: "strata-bench", secret: randomHex(16)}
	logPath := filepath.Join(dir, "versitygw.log")
	g.proc, err = origin.StartProcess(origin.ProcessSpec{
		Name: "versitygw", BaseURL: g.endpoint, LogPath: logPath,
		StopSignals: []syscall.Signal{syscall.SIGTERM},
		Env:         append(os.Environ(), "ROOT_ACCESS_KEY="+g.access, "ROOT_SECRET_KEY="+g.secret),
		Bin:         bin,
		Args:        []string{"--port", "127.0.0.1:" + strconv.Itoa(port), "posix", data},
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = g.proc.Stop()
		}
	}()
	// versitygw prints its banner before it listens: only a connection tells.
	if err := g.proc.WaitReady(ctx, 30*time.Second, origin.DialReady("127.0.0.1:"+strconv.Itoa(port))); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, origin.TailFile(logPath, 2048))
	}

	creds := credentials.NewStaticCredentialsProvider(g.access, g.secret, "")
	g.admin = s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(g.endpoint), UsePathStyle: true, Credentials: creds,
	})
	if _, err := g.admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, fmt.Errorf("tier: create bucket: %w", err)
	}
	// Stock nginx cannot sign its slice subrequests (SigV4 covers each
	// Range header and the time), so the bucket grants anonymous
	// s3:GetObject; Strata signs its requests all the same.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + bucket + `/*"]}]}`
	if _, err := g.admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		return nil, fmt.Errorf("tier: public-read bucket policy: %w", err)
	}
	scfg := s3store.DefaultConfig()
	scfg.Bucket, scfg.Endpoint, scfg.PathStyle, scfg.SpoolDir = bucket, g.endpoint, true, dir
	if g.store, err = s3store.New(ctx, scfg, s3store.WithCredentials(creds)); err != nil {
		return nil, fmt.Errorf("tier: S3 client: %w", err)
	}
	return g, nil
}

// stop ends the gateway.
func (g *gateway) stop() error {
	if g == nil {
		return nil
	}
	return g.proc.Stop()
}

// strataEnv is what `strata serve` needs to sign its requests to the gateway.
func (g *gateway) strataEnv() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + g.access, "AWS_SECRET_ACCESS_KEY=" + g.secret}
}

// put writes body under key with Strata's own S3 store (so the object
// carries the content hash Strata uses as its ETag), then checks that an
// anonymous reader gets its bytes, as nginx will.
func (g *gateway) put(ctx context.Context, key string, body []byte) error {
	if _, err := g.store.Put(ctx, key, bytes.NewReader(body), int64(len(body)), cache.PutOptions{ContentType: "model/gltf-binary"}); err != nil {
		return fmt.Errorf("tier: upload %s: %w", key, err)
	}
	n := min(len(body), 4096)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.endpoint+"/"+bucket+"/"+key, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Range", "bytes=0-"+strconv.Itoa(n-1))
	resp, err := plainClient.Do(req)
	if err != nil {
		return fmt.Errorf("tier: anonymous GET %s: %w", key, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("tier: anonymous GET %s: %w", key, err)
	}
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, body[:n]) {
		return fmt.Errorf("tier: anonymous GET %s: %s with %d bytes, want 206 with the object's first %d: the gateway ignores the public-read policy", key, resp.Status, len(got), n)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// plainClient talks to loopback servers: no proxy from the environment, no
// transparent gzip (which would hide what a server sent).
var plainClient = &http.Client{
	Timeout:   5 * time.Minute,
	Transport: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 16},
}
