package publish_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/strata3d/strata/lod/publish"
)

// recorder is an Invalidator that remembers its batches and fails the
// first failures calls.
type recorder struct {
	mu       sync.Mutex
	batches  [][]string
	failures int
	calls    int
}

func (r *recorder) Invalidate(_ context.Context, keys []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failures > 0 {
		r.failures--
		return errors.New("throttled")
	}
	r.batches = append(r.batches, slices.Clone(keys))
	return nil
}

func TestBatcherBatchesAndRetries(t *testing.T) {
	rec := &recorder{failures: 2}
	b, err := publish.NewBatcher(rec, publish.BatchConfig{Window: time.Hour, MaxBatch: 3, Attempts: 3, Backoff: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"models/a/manifest.json", "models/b/manifest.json", "models/a/manifest.json", "models/c/manifest.json", "models/d/manifest.json"} {
		if err := b.Invalidate(ctx, []string{k}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"models/a/manifest.json", "models/b/manifest.json", "models/c/manifest.json"}, {"models/d/manifest.json"}}
	if fmt.Sprint(rec.batches) != fmt.Sprint(want) || rec.calls != 4 {
		t.Fatalf("batches %v after %d calls, want %v after 4 (2 failures retried, duplicates merged)", rec.batches, rec.calls, want)
	}

	// A batch that keeps failing is given up after Attempts, and reported.
	rec.failures = 10
	b.Invalidate(ctx, []string{"models/e/manifest.json"})
	if err := b.Flush(ctx); err == nil {
		t.Fatal("a batch that failed every attempt was not reported")
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Invalidate(ctx, []string{"x"}); !errors.Is(err, publish.ErrClosed) {
		t.Fatalf("Invalidate after Close: %v", err)
	}
}

func TestBatcherSendsAfterTheWindow(t *testing.T) {
	rec := &recorder{}
	b, err := publish.NewBatcher(rec, publish.BatchConfig{Window: time.Millisecond, MaxBatch: 10, Attempts: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Invalidate(context.Background(), []string{"models/a/manifest.json"})
	// Close waits for the window's flush to finish.
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.batches) != 1 || rec.batches[0][0] != "models/a/manifest.json" {
		t.Fatalf("batches %v", rec.batches)
	}
}

// cloudFrontAPI answers CreateInvalidation as CloudFront's REST API does:
// the first throttled answers are TooManyInvalidationsInProgress.
type cloudFrontAPI struct {
	mu        sync.Mutex
	throttled int
	requests  []invalidationBatch
	paths     []string
}

type invalidationBatch struct {
	XMLName         xml.Name `xml:"InvalidationBatch"`
	CallerReference string   `xml:"CallerReference"`
	Quantity        int      `xml:"Paths>Quantity"`
	Paths           []string `xml:"Paths>Items>Path"`
}

func (c *cloudFrontAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths = append(c.paths, r.Method+" "+r.URL.Path)
	body, _ := io.ReadAll(r.Body)
	var batch invalidationBatch
	if err := xml.Unmarshal(body, &batch); err != nil || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		http.Error(w, "bad request", 400)
		return
	}
	c.requests = append(c.requests, batch)
	w.Header().Set("Content-Type", "text/xml")
	if c.throttled > 0 {
		c.throttled--
		w.WriteHeader(400)
		fmt.Fprint(w, `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>TooManyInvalidationsInProgress</Code><Message>Too many invalidations in progress</Message></Error><RequestId>r1</RequestId></ErrorResponse>`)
		return
	}
	w.Header().Set("Location", "https://cloudfront.amazonaws.com/2020-05-31/distribution/EDFDVBD632BHDS5/invalidation/I1")
	w.WriteHeader(201)
	fmt.Fprintf(w, `<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>I1</Id><Status>InProgress</Status><CreateTime>2026-11-25T10:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>%d</Quantity></Paths><CallerReference>%s</CallerReference></InvalidationBatch></Invalidation>`, batch.Quantity, batch.CallerReference)
}

// TestCloudFrontInvalidation drives the SDK's CloudFront client against a
// loopback endpoint speaking CloudFront's wire format (CloudFront itself
// cannot run here): paths, batching and retries of a throttled batch with
// the same caller reference.
func TestCloudFrontInvalidation(t *testing.T) {
	api := &cloudFrontAPI{throttled: 1}
	srv := httptest.NewServer(api)
	defer srv.Close()
	client := cloudfront.New(cloudfront.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1, // the Batcher retries
	})
	cf, err := publish.NewCloudFront(client, "EDFDVBD632BHDS5")
	if err != nil {
		t.Fatal(err)
	}
	b, err := publish.NewBatcher(cf, publish.BatchConfig{Window: time.Hour, MaxBatch: 2, Attempts: 3, Backoff: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b.Invalidate(ctx, []string{"models/oak-chair/manifest.json", "models/sofa/manifest.json", "models/a b/manifest.json"})
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(api.requests) != 3 {
		t.Fatalf("%d requests, want 3 (a throttled batch, its retry, the second batch): %v", len(api.requests), api.paths)
	}
	first, retry, second := api.requests[0], api.requests[1], api.requests[2]
	if first.CallerReference != retry.CallerReference || first.CallerReference == second.CallerReference {
		t.Errorf("caller references %q %q %q: a retry must reuse its batch's, batches differ", first.CallerReference, retry.CallerReference, second.CallerReference)
	}
	if fmt.Sprint(retry.Paths) != "[/models/oak-chair/manifest.json /models/sofa/manifest.json]" || retry.Quantity != 2 {
		t.Errorf("first batch paths %v (quantity %d)", retry.Paths, retry.Quantity)
	}
	if fmt.Sprint(second.Paths) != "[/models/a%20b/manifest.json]" {
		t.Errorf("second batch paths %v", second.Paths)
	}
	if api.paths[0] != "POST /2020-05-31/distribution/EDFDVBD632BHDS5/invalidation" {
		t.Errorf("request %s", api.paths[0])
	}
}
