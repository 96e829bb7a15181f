package tlscert_test

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/tlscert"
)

// envelope stands for sandbox.Listener, the wrapper that must see plain
// HTTP.
func envelope(ln net.Listener) net.Listener { return ln }

// ExampleNewListener serves HTTPS the way cmd/sandbox does: TLS beneath
// the envelope wrapper, r.TLS restored for the handler, the CA served for
// clients to trust.
func ExampleNewListener() {
	setup, err := tlscert.New(tlscert.Settings{Enabled: true, Hosts: []string{"host.docker.internal"}}, nil, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	defer setup.Close()
	fmt.Println("CA certificate:", setup.CAFile)

	mux := http.NewServeMux()
	mux.Handle("GET /_sandbox/ca.pem", tlscert.CAHandler(setup.CAPEM))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "TLS:", r.TLS != nil)
	})
	srv := &http.Server{Handler: tlscert.RestoreState(mux), ConnContext: tlscert.ConnContext}
	ln, err := net.Listen("tcp", "127.0.0.1:8443")
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.Serve(envelope(tlscert.NewListener(ln, setup.Config))))
}
