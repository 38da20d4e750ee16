//go:build tools

package tools

import (
	_ "github.com/andybalholm/brotli"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/dgraph-io/ristretto/v2"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/qmuntal/gltf"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/valyala/fasthttp"
	_ "golang.org/x/image/draw"
	_ "golang.org/x/sync/singleflight"
)
