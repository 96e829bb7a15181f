//go:build pprof

// Profiling for performance work only: a binary built with -tags pprof
// serves net/http/pprof on SANDBOX_PPROF_ADDR (127.0.0.1:6060 by default),
// apart from the sandbox's own address. Release builds leave it out.
//
//	go build -tags pprof -o bin/sandbox-pprof ./cmd/sandbox
//	go tool pprof -seconds 8 http://127.0.0.1:6060/debug/pprof/profile
package main

import (
	"cmp"
	"log"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

func init() {
	addr := cmp.Or(os.Getenv("SANDBOX_PPROF_ADDR"), "127.0.0.1:6060")
	go func() { log.Println(http.ListenAndServe(addr, nil)) }()
}
