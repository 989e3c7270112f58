package cluster_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/cluster"
)

// newCA makes a CA and returns a function that writes a node certificate it signed (for
// 127.0.0.1, usable as server and client) with the CA's file into dir.
func newCA(t *testing.T, name string) func(node string) *cluster.TLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile := writePEM(t, dir, name+"-ca.pem", "CERTIFICATE", der)
	serial := int64(1)
	return func(node string) *cluster.TLS {
		t.Helper()
		serial++
		nkey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		leaf := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: node},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &nkey.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(nkey)
		if err != nil {
			t.Fatal(err)
		}
		return &cluster.TLS{
			Cert: writePEM(t, dir, node+"-cert.pem", "CERTIFICATE", der),
			Key:  writePEM(t, dir, node+"-key.pem", "EC PRIVATE KEY", kder),
			CA:   caFile,
		}
	}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// logBuffer is a log that a test can read while the nodes write to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestClusterTLS: three nodes with certificates of one CA form a cluster over TLS routes
// and replicate a KV write; a node with a certificate of another CA is refused on the
// routes, and the client listener takes only clients whose certificate the CA signed.
func TestClusterTLS(t *testing.T) {
	cert := newCA(t, "good")
	// One certificate for all three is enough here: each is verified against the CA.
	nodes, routes := startNodes(t, cert("node"), slog.New(slog.NewTextHandler(&logBuffer{}, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nc1, js1, err := nodes[0].Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc1.Close()
	nc3, js3, err := nodes[2].Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc3.Close()
	// Three replicas: the bucket exists only once all three nodes are routed together.
	if err := open(t, js1).CreateJob(ctx, &batch.Job{ID: "batch_tls", Account: "acme"}); err != nil {
		t.Fatal(err)
	}
	if j, err := open(t, js3).Job(ctx, "acme", "batch_tls"); err != nil || j.ID != "batch_tls" {
		t.Fatalf("node 3 reads %+v, %v", j, err)
	}

	// The client listener: the CA's certificate is let in, none or another CA's is not.
	url := nodes[1].ClientURL()
	nc, _, err := cluster.Dial(ctx, []string{url}, cert("client"))
	if err != nil {
		t.Fatalf("client with the CA's certificate: %v", err)
	}
	nc.Close()
	if nc, err := nats.Connect(url, nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a client without TLS connected")
	}
	other := newCA(t, "other")
	if nc, _, err := cluster.Dial(ctx, []string{url}, other("client")); err == nil {
		nc.Close()
		t.Fatal("a client with another CA's certificate connected")
	}

	// A node of another CA, with the three as its peers: it dials each, the handshakes
	// fail, and it has no route. Waiting for its log's handshake errors (not a sleep)
	// shows the attempts were made.
	log := &logBuffer{}
	stranger, err := cluster.StartNode(cluster.NodeConfig{
		Name:       "stranger",
		ClientAddr: "127.0.0.1:0",
		RouteAddr:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		Peers:      routes,
		StoreDir:   t.TempDir(),
		TLS:        other("stranger"),
	}, slog.New(slog.NewTextHandler(log, nil)), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(log.String(), "TLS route handshake error") < len(routes) && stranger.NumRoutes() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the stranger neither joined nor failed a handshake with every peer in 30s; its log:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := stranger.NumRoutes(); n != 0 {
		t.Fatalf("a node with another CA's certificate has %d route(s) into the cluster", n)
	}
}
