package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/strata3d/strata/cache/s3store"
	"github.com/strata3d/strata/cache/s3store/s3test"
	"github.com/strata3d/strata/lod/meshgen"
	"github.com/strata3d/strata/lod/publish"
)

// s3Event is an S3 ObjectCreated notification as Lambda delivers it (the
// shape of AWS's documented example), for one key (URL-encoded as S3 does).
func s3Event(t *testing.T, bucket, key, etag, sequencer string) events.S3Event {
	t.Helper()
	raw := fmt.Sprintf(`{"Records":[{
  "eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
  "eventTime":%q,"eventName":"ObjectCreated:Put",
  "userIdentity":{"principalId":"AWS:AIDAINPONIXQXHT3IKHL2"},
  "requestParameters":{"sourceIPAddress":"205.255.255.255"},
  "responseElements":{"x-amz-request-id":"D82B88E5F771F645","x-amz-id-2":"vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="},
  "s3":{"s3SchemaVersion":"1.0","configurationId":"strata-uploads",
    "bucket":{"name":%q,"ownerIdentity":{"principalId":"A3I5XTEXAMAI3E"},"arn":"arn:aws:s3:::%s"},
    "object":{"key":%q,"size":1305107,"eTag":%q,"sequencer":%q}}}]}`,
		time.Now().UTC().Format(time.RFC3339Nano), bucket, bucket, strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"), etag, sequencer)
	var ev events.S3Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

type lambdaEnv struct {
	h      *Handler
	client *s3.Client
	bucket string
}

func newLambdaEnv(t *testing.T) lambdaEnv {
	t.Helper()
	endpoint := s3test.Endpoint(t)
	bucket := s3test.NewBucket(t, endpoint)
	env := map[string]string{
		"STRATA_S3_BUCKET": bucket, "STRATA_S3_PREFIX": "site/", "STRATA_S3_ENDPOINT": endpoint,
		"STRATA_S3_PATH_STYLE": "true", "STRATA_PUBLISH_RETENTION": "2",
	}
	h, err := newHandler(context.Background(), func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		slog.New(slog.DiscardHandler), []s3store.Option{s3store.WithCredentials(s3test.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	return lambdaEnv{h: h, client: s3test.Client(endpoint), bucket: bucket}
}

// upload puts an object as a merchant's client would, straight into S3,
// and returns its ETag.
func (e lambdaEnv) upload(t *testing.T, key string, data []byte) string {
	t.Helper()
	out, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`)
}

func (e lambdaEnv) get(t *testing.T, key string) ([]byte, bool) {
	t.Helper()
	out, err := e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &e.bucket, Key: aws.String(key)})
	if err != nil {
		return nil, false
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

func (e lambdaEnv) keys(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := e.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &e.bucket, Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func sphere(t *testing.T, segments int) []byte {
	t.Helper()
	m := meshgen.Model{Name: "ball", Parts: []meshgen.Part{{Name: "ball", Mesh: meshgen.Sphere(segments, segments/2), Material: meshgen.Material{Name: "m", BaseColor: [4]float32{1, 1, 1, 1}}}}}
	glb, err := meshgen.EncodeGLB(&m)
	if err != nil {
		t.Fatal(err)
	}
	return glb
}

func TestLambdaPublishesUploads(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	glb := sphere(t, 40)
	etag := e.upload(t, "site/uploads/oak-chair.glb", glb)
	ev := s3Event(t, e.bucket, "site/uploads/oak-chair.glb", etag, "0A1B2C3D4E5F678901")
	if err := e.h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	ptrJSON, ok := e.get(t, "site/models/oak-chair/manifest.json")
	if !ok {
		t.Fatalf("no pointer; bucket holds %v", e.keys(t, "site/"))
	}
	var ptr publish.Pointer
	if err := json.Unmarshal(ptrJSON, &ptr); err != nil {
		t.Fatal(err)
	}
	prog, ok := e.get(t, "site/models/oak-chair/"+ptr.Published.Progressive)
	if !ok || len(prog) != ptr.Progressive.Bytes || ptr.Source.Name != "oak-chair.glb" || len(ptr.Levels) < 2 {
		t.Fatalf("progressive.glb %d bytes (manifest %d), source %q, %d levels", len(prog), ptr.Progressive.Bytes, ptr.Source.Name, len(ptr.Levels))
	}
	if _, still := e.get(t, "site/uploads/oak-chair.glb"); still {
		t.Error("the handled upload was not removed")
	}
	if orig := e.keys(t, "site/"+publish.PrivatePrefix+"publish/originals/"); len(orig) != 1 {
		t.Errorf("originals %v, want the upload's one copy", orig)
	}

	// Lambda delivers events at least once: the same event again changes
	// nothing (same job, same pointer).
	versions := e.keys(t, "site/"+publish.PrivatePrefix+"publish/versions/")
	if err := e.h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	again, _ := e.get(t, "site/models/oak-chair/manifest.json")
	if !bytes.Equal(again, ptrJSON) || len(e.keys(t, "site/"+publish.PrivatePrefix+"publish/versions/")) != len(versions) {
		t.Error("a redelivered event published again")
	}

	// A .gltf with its files in a folder, named with a space.
	js, bin := glbChunks(glb)
	gltf := strings.Replace(string(js), `"buffers":[{`, `"buffers":[{"uri":"data/ball%20mesh.bin",`, 1)
	e.upload(t, "site/uploads/ball/data/ball mesh.bin", bin)
	etag = e.upload(t, "site/uploads/ball/scene.gltf", []byte(gltf))
	// The .bin's own event is ignored: the .gltf triggers the publish.
	if err := e.h.Handle(ctx, s3Event(t, e.bucket, "site/uploads/ball/data/ball mesh.bin", "x", "01")); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.get(t, "site/models/ball/manifest.json"); ok {
		t.Fatal("the .bin's event published the model")
	}
	if err := e.h.Handle(ctx, s3Event(t, e.bucket, "site/uploads/ball/scene.gltf", etag, "02")); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.get(t, "site/models/ball/manifest.json"); !ok {
		t.Fatalf("the .gltf was not published; bucket holds %v", e.keys(t, "site/"))
	}
	if left := e.keys(t, "site/uploads/"); len(left) != 0 {
		t.Errorf("uploads left behind: %v", left)
	}
}

func TestLambdaRefusesBadUploads(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	for _, c := range []struct{ key, body string }{
		{"site/uploads/truncated.glb", "glTF\x02\x00\x00\x00\xff\xff\x00\x00"},
		{"site/uploads/Bad Name.glb", string(sphere(t, 16))},
		{"site/uploads/notes.txt", "hello"},
	} {
		etag := e.upload(t, c.key, []byte(c.body))
		// A refused model is not an error: retrying it cannot help.
		if err := e.h.Handle(ctx, s3Event(t, e.bucket, c.key, etag, "03")); err != nil {
			t.Errorf("%s: %v", c.key, err)
		}
	}
	if models := e.keys(t, "site/models/"); len(models) != 0 {
		t.Errorf("refused uploads published %v", models)
	}
	// Events for another bucket or outside uploads/ are ignored.
	if err := e.h.Handle(ctx, s3Event(t, "another-bucket", "site/uploads/x.glb", "e", "04")); err != nil {
		t.Error(err)
	}
	if err := e.h.Handle(ctx, s3Event(t, e.bucket, "site/models/x/manifest.json", "e", "05")); err != nil {
		t.Error(err)
	}
}

func glbChunks(glb []byte) (js, bin []byte) {
	jl := int(uint32(glb[12]) | uint32(glb[13])<<8 | uint32(glb[14])<<16 | uint32(glb[15])<<24)
	js = glb[20 : 20+jl]
	rest := glb[20+jl:]
	bl := int(uint32(rest[0]) | uint32(rest[1])<<8 | uint32(rest[2])<<16 | uint32(rest[3])<<24)
	return js, rest[8 : 8+bl]
}
