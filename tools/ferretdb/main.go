// Command ferretdb runs FerretDB v1.24.2 with its SQLite backend on a loopback
// address, as the local stand-in for Cosmos DB for MongoDB.
//
// The upstream `go install` binary panics before main (its version file is not
// in the module zip); embedding the library from a module of our own avoids
// that, because the version check only runs when FerretDB is the main module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on (loopback only)")
	dataDir := flag.String("data-dir", "", "directory for the SQLite files (default: a new temporary directory)")
	logLevel := flag.String("log-level", "error", "debug, info, warn or error")
	tlsAddr := flag.String("listen-tls", "", "TLS address to listen on as well (loopback only)")
	tlsCert := flag.String("tls-cert", "", "PEM server certificate for -listen-tls")
	tlsKey := flag.String("tls-key", "", "PEM server key for -listen-tls")
	flag.Parse()

	tls := ferretdb.ListenerConfig{TLS: *tlsAddr, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey}
	if err := run(*listen, tls, *dataDir, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

// requireLoopback refuses any address a non-local peer could reach.
func requireLoopback(flagName, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-%s: %w", flagName, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-%s must be a loopback IP address", flagName)
	}
	return nil
}

func run(listen string, tls ferretdb.ListenerConfig, dataDir, logLevel string) error {
	err := requireLoopback("listen-addr", listen)
	if err != nil {
		return err
	}
	if tls.TLS != "" {
		if err = requireLoopback("listen-tls", tls.TLS); err != nil {
			return err
		}
		if tls.TLSCertFile == "" || tls.TLSKeyFile == "" {
			return errors.New("-listen-tls needs -tls-cert and -tls-key")
		}
	}

	removeDir := false
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "gridboard-ferretdb-"); err != nil {
			return err
		}
		removeDir = true
	}
	if dataDir, err = filepath.Abs(dataDir); err != nil {
		return err
	}
	if err = os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	if removeDir {
		defer os.RemoveAll(dataDir)
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			TCP: listen, TLS: tls.TLS, TLSCertFile: tls.TLSCertFile, TLSKeyFile: tls.TLSKeyFile,
		},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dataDir + "/", // FerretDB requires the trailing slash
		Logger:    logger,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		f.Run(ctx)
		close(done)
	}()
	// MongoDBURI blocks until the listener is up, so printing it tells a
	// waiting script that the server accepts connections.
	fmt.Printf("ferretdb listening %s data %s\n", f.MongoDBURI(), dataDir)
	<-done
	return nil
}
