package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// TLSConfig is the tls: section (DESIGN.md §6). With cert_file and key_file the appliance
// serves HTTPS with them; with self_signed it makes a certificate for its listen address on
// first start and keeps it in the data dir. Off by default: plain HTTP on loopback.
type TLSConfig struct {
	CertFile   string `koanf:"cert_file"`
	KeyFile    string `koanf:"key_file"`
	SelfSigned bool   `koanf:"self_signed"`
}

func (c TLSConfig) enabled() bool { return c.CertFile != "" || c.KeyFile != "" || c.SelfSigned }

func (c TLSConfig) validate() []error {
	var errs []error
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("tls.cert_file and tls.key_file go together (flags --tls-cert and --tls-key)"))
	}
	if c.SelfSigned && c.CertFile != "" {
		errs = append(errs, errors.New("tls.self_signed and tls.cert_file exclude each other: give a certificate or ask for a self-signed one"))
	}
	return errs
}

func addTLSFlags(fs *pflag.FlagSet) {
	fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain) file (tls.cert_file)")
	fs.String("tls-key", "", "the PEM private key of --tls-cert (tls.key_file)")
}

// Self-signed certificate files, in data_dir/tls (0700), each 0600.
const (
	selfSignedCert = "self-signed-cert.pem"
	selfSignedKey  = "self-signed-key.pem"
	// selfSignedDays is the self-signed certificate's life; it is made again at a start
	// within selfSignedRenew of its end (the fingerprint then changes, and the log says so).
	selfSignedDays  = 397
	selfSignedRenew = 30 * 24 * time.Hour
)

// tlsSetup is what serving HTTPS needs, and what the startup log says about it.
type tlsSetup struct {
	config      *tls.Config
	source      string // "files" or "self-signed"
	certFile    string
	fingerprint string // SHA-256 of the leaf certificate, as openssl x509 -fingerprint -sha256 prints it
	created     bool   // a self-signed certificate was made at this start
	hosts       []string
}

// setupTLS loads the configured certificate, or loads or makes the self-signed one for
// listen (the bound address) and the public URL's host. nil without TLS.
func (m *Main) setupTLS(listen net.Addr, now time.Time) (*tlsSetup, error) {
	c := m.Config.TLS
	if !c.enabled() {
		return nil, nil
	}
	var cert tls.Certificate
	setup := &tlsSetup{}
	if c.CertFile != "" {
		var err error
		cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file %s and tls.key_file %s: %w", c.CertFile, c.KeyFile, err)
		}
		setup.source, setup.certFile = "files", c.CertFile
	} else {
		dir := filepath.Join(m.Config.DataDir, "tls")
		hosts := certHosts(listen, m.Config.PublicURL)
		var err error
		cert, setup.created, err = loadOrCreateSelfSigned(dir, hosts, now)
		if err != nil {
			return nil, fmt.Errorf("tls.self_signed: %w", err)
		}
		setup.source, setup.certFile, setup.hosts = "self-signed", filepath.Join(dir, selfSignedCert), hosts
	}
	setup.fingerprint = fingerprint(cert.Certificate[0])
	setup.config = &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// http.Server.ServeTLS adds "h2" and "http/1.1": HTTP/2 over TLS.
	}
	return setup, nil
}

// fingerprint is the SHA-256 of a DER certificate as AA:BB:…, the form browsers and
// `openssl x509 -noout -fingerprint -sha256` show, so a user can compare them.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// certHosts are the names a self-signed certificate is made for: the listen host, or for
// an unspecified one (0.0.0.0, ::, "") this machine's name, localhost and its addresses;
// and the public URL's host.
func certHosts(listen net.Addr, publicURL string) []string {
	var hosts []string
	add := func(h string) {
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	host := ""
	if ta, ok := listen.(*net.TCPAddr); ok && ta.IP != nil && !ta.IP.IsUnspecified() {
		host = ta.IP.String()
	}
	switch {
	case host == "":
		add("localhost")
		add("127.0.0.1")
		add("::1")
		if name, err := os.Hostname(); err == nil {
			add(name)
		}
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLinkLocalUnicast() {
					add(ipn.IP.String())
				}
			}
		}
	default:
		add(host)
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			add("localhost")
		}
	}
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		add(u.Hostname())
	}
	return hosts
}

// loadOrCreateSelfSigned returns the self-signed certificate in dir when it covers every
// host and is not near its end, and otherwise makes a new one (ECDSA P-256) and writes it
// there: the key and the certificate each with mode 0600, through a temp file and a rename.
func loadOrCreateSelfSigned(dir string, hosts []string, now time.Time) (tls.Certificate, bool, error) {
	certPath, keyPath := filepath.Join(dir, selfSignedCert), filepath.Join(dir, selfSignedKey)
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil && covers(leaf, hosts) && now.Add(selfSignedRenew).Before(leaf.NotAfter) {
			return cert, false, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, false, fmt.Errorf("%s: %w (delete both files to make a new certificate)", certPath, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, false, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0], Organization: []string{"classer-batch self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedDays * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, // not a CA: browsers refuse a CA certificate as a server's own
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, false, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	// The key first: a crash between the two leaves a key without its certificate, which
	// the next start replaces, never a certificate without its key.
	for _, f := range []struct {
		path string
		data []byte
	}{{keyPath, keyPEM}, {certPath, certPEM}} {
		if err := writeFile0600(f.path, f.data); err != nil {
			return tls.Certificate{}, false, err
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	return cert, true, err
}

// covers reports whether leaf is valid for every host.
func covers(leaf *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// writeFile0600 writes data to path with mode 0600 through a temp file, fsync and rename.
func writeFile0600(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// pinnedTLS is a client configuration that trusts exactly the certificate in certFile
// (its first block), whatever name it was made for: the healthcheck and tests reach the
// appliance by loopback address, which a CA-issued certificate does not name.
func pinnedTLS(certFile string) (*tls.Config, error) {
	b, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", certFile)
	}
	want := block.Bytes
	return &tls.Config{
		// Verification is the pin below, not the name: InsecureSkipVerify only turns the
		// name and chain check off in favour of VerifyPeerCertificate.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], want) {
				return fmt.Errorf("the server's certificate is not the one in %s", certFile)
			}
			return nil
		},
	}, nil
}

func (m *Main) scheme() string {
	if m.tls != nil {
		return "https"
	}
	return "http"
}

func (m *Main) tlsConfig() *tls.Config {
	if m.tls == nil {
		return nil
	}
	return m.tls.config
}

// serve serves HTTP, or HTTPS (HTTP/2 and HTTP/1.1) with TLS configured.
func (m *Main) serve(ln net.Listener) error {
	if m.tls != nil {
		return m.http.ServeTLS(ln, "", "")
	}
	return m.http.Serve(ln)
}
