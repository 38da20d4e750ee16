//go:build !race

package httpsem_test

const raceEnabled = false
