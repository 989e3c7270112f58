// Package cluster runs the NATS side of cluster mode (issue 25): the nats-server embedded
// in each classer-batch node, with JetStream and routes to its peers, or a connection to
// an external NATS cluster instead.
package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Name is the NATS cluster name every node uses; routes refuse a server of another one.
const Name = "classer-batch"

// NodeConfig is one embedded node.
type NodeConfig struct {
	Name       string   // unique per node (cluster.node_name)
	ClientAddr string   // host:port of the client listener
	RouteAddr  string   // host:port of the cluster route listener
	Peers      []string // route URLs of the other nodes; none: a standalone JetStream server
	StoreDir   string   // where JetStream keeps its streams
	TLS        *TLS     // nil: plain TCP between nodes and to clients
}

// TLS names the PEM files of a node's certificate and key and of the CA that signed every
// node's certificate (cluster.tls_*). The CA verifies both ends: a route or client whose
// certificate it did not sign is refused.
type TLS struct {
	Cert, Key, CA string
}

// serverConfig is the embedded server's side: certificates required and verified.
func (f *TLS) serverConfig() (*tls.Config, error) {
	c, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: f.Cert, KeyFile: f.Key, CaFile: f.CA, Verify: true})
	if err != nil {
		return nil, fmt.Errorf("cluster TLS: %w", err)
	}
	return c, nil
}

// clientOptions are a client connection's: the CA to verify the server, and this node's
// certificate for the server to verify.
func (f *TLS) clientOptions() []nats.Option {
	return []nats.Option{nats.RootCAs(f.CA), nats.ClientCert(f.Cert, f.Key)}
}

// Node is an embedded nats-server. Close stops it.
type Node struct {
	srv *server.Server
}

// StartNode starts an embedded nats-server with JetStream and waits until it accepts
// clients (up to ready). With peers it listens for routes and joins them; JetStream
// then waits for a meta leader, which is elected once a majority of the nodes is up.
func StartNode(cfg NodeConfig, log *slog.Logger, ready time.Duration) (*Node, error) {
	host, port, err := splitAddr(cfg.ClientAddr)
	if err != nil {
		return nil, fmt.Errorf("cluster.client_addr: %w", err)
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true, // the appliance handles signals
	}
	var tlsConf *tls.Config
	if cfg.TLS != nil {
		if tlsConf, err = cfg.TLS.serverConfig(); err != nil {
			return nil, err
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tlsConf, true, true
	}
	if len(cfg.Peers) > 0 {
		rhost, rport, err := splitAddr(cfg.RouteAddr)
		if err != nil {
			return nil, fmt.Errorf("cluster.route_addr: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: Name, Host: rhost, Port: rport}
		if tlsConf != nil {
			// A route is both ends at once: it dials its peers (verifying them with the CA
			// as roots) and accepts them (verifying their client certificate).
			rc := tlsConf.Clone()
			rc.RootCAs = rc.ClientCAs
			opts.Cluster.TLSConfig = rc
		}
		for _, p := range cfg.Peers {
			u, err := url.Parse(p)
			if err != nil {
				return nil, fmt.Errorf("cluster.peers %q: %w", p, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats-server: %w", err)
	}
	fatal := make(chan string, 1)
	srv.SetLoggerV2(slogLogger{log: log.With("component", "nats"), fatal: fatal}, false, false, false)
	srv.Start()
	// Polled in short steps: a listener that cannot bind (a port in use) is reported at
	// once with nats-server's own message, not as a timeout after all of ready.
	deadline := time.Now().Add(ready)
	for !srv.ReadyForConnections(100 * time.Millisecond) {
		select {
		case msg := <-fatal:
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("nats-server %s: %s", cfg.Name, msg)
		default:
		}
		if time.Now().After(deadline) {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("nats-server %s did not start within %s (see the component=nats log lines)", cfg.Name, ready)
		}
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("nats-server %s started without JetStream (see the component=nats log lines)", cfg.Name)
	}
	return &Node{srv: srv}, nil
}

// ClientURL is the node's client listener, as nats://host:port.
func (n *Node) ClientURL() string { return n.srv.ClientURL() }

// Name is the node's name (cluster.node_name).
func (n *Node) Name() string { return n.srv.Name() }

// Connect opens a client connection to the node inside the process (no socket).
func (n *Node) Connect() (*nats.Conn, jetstream.JetStream, error) {
	return connect("", nats.InProcessServer(n.srv), nats.Name("classer-batch "+n.srv.Name()))
}

// Close stops the node and waits until it has.
func (n *Node) Close() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// Dial connects to an external NATS cluster (cluster.connect), over TLS with tlsFiles
// when not nil. The client reconnects on its own, for ever, when a server goes away.
func Dial(ctx context.Context, urls []string, tlsFiles *TLS) (*nats.Conn, jetstream.JetStream, error) {
	if len(urls) == 0 {
		return nil, nil, errors.New("cluster.connect: no URL")
	}
	all := urls[0]
	for _, u := range urls[1:] {
		all += "," + u
	}
	deadline, ok := ctx.Deadline()
	timeout := 10 * time.Second
	if ok {
		timeout = time.Until(deadline)
	}
	opts := []nats.Option{nats.Timeout(timeout), nats.RetryOnFailedConnect(false)}
	if tlsFiles != nil {
		opts = append(opts, tlsFiles.clientOptions()...)
	}
	return connect(all, opts...)
}

func connect(url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts = append(opts, nats.MaxReconnects(-1))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("nats connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	if port == 0 {
		port = -1 // nats-server's "pick a free port"
	}
	return host, port, nil
}

// slogLogger sends nats-server's log to slog. Its notices are info; a "fatal" is logged
// as an error and also sent on fatal (without blocking), where StartNode reports it as
// the failed start (nats-server's own logger would exit the process).
type slogLogger struct {
	log   *slog.Logger
	fatal chan<- string
}

func (l slogLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l slogLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l slogLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	select {
	case l.fatal <- msg:
	default: // one is enough: the start has failed
	}
}
func (l slogLogger) Errorf(format string, v ...any) { l.log.Error(fmt.Sprintf(format, v...)) }
func (l slogLogger) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l slogLogger) Tracef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
