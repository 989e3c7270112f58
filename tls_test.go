package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBinaryTLSSelfSigned: the real binary with tls.self_signed makes a certificate for its
// listen address on first start, keeps it in the data dir with mode 0600, logs its SHA-256
// fingerprint, serves HTTP/2 over TLS, hands out https upload and download URLs that work,
// and keeps the same certificate across a restart.
func TestBinaryTLSSelfSigned(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startProcAt(t, bin, dir, addr, "CLASSER_TLS_SELF_SIGNED=true")
	if p.url != "https://"+addr {
		t.Fatalf("url %q, want https://%s", p.url, addr)
	}
	certPath, keyPath := filepath.Join(dir, "tls", selfSignedCert), filepath.Join(dir, "tls", selfSignedKey)
	for _, f := range []string{certPath, keyPath} {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want mode 0600", f, err, fi.Mode().Perm())
		}
	}
	der := readCertDER(t, certPath)
	sum := sha256.Sum256(der)
	want := strings.ToUpper(strings.Join(regexp.MustCompile("..").FindAllString(fmt.Sprintf("%x", sum), -1), ":"))
	logs := p.logs.String()
	if !strings.Contains(logs, "created a self-signed TLS certificate") || !strings.Contains(logs, "sha256_fingerprint="+want) {
		t.Fatalf("the log does not give the certificate's fingerprint %s:\n%s", want, logs)
	}
	for _, attr := range []string{"tls=self-signed", "storage=local", "listen=" + addr, "data_dir=" + dir, "models="} {
		if !strings.Contains(logs, attr) {
			t.Errorf("the startup log lacks %q:\n%s", attr, logs)
		}
	}

	// A client that trusts exactly this certificate verifies it by name (127.0.0.1) and
	// speaks HTTP/2.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mustRead(t, certPath))
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := hc.Get(p.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" || resp.TLS == nil {
		t.Fatalf("GET /healthz over TLS: %d %s", resp.StatusCode, resp.Proto)
	}
	// Without trusting it: refused by the client, as a self-signed certificate should be.
	if _, err := (&http.Client{Timeout: 10 * time.Second}).Get(p.url + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusting client: %v, want a certificate error", err)
	}
	// Plain HTTP to the TLS port gets nothing useful.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}

	// A job end to end over HTTPS: the signed URLs are https and work.
	c := &client{t: t, base: p.url, key: acmeKey, http: hc}
	job := c.createJob(seedSpec)
	if !strings.HasPrefix(job.UploadURL, "https://"+addr+"/") {
		t.Fatalf("upload_url %q is not https", job.UploadURL)
	}
	if code, body := uploadWith(t, hc, job.UploadURL, allFields(job), seedInput); code != 204 {
		t.Fatalf("upload over https: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start: %d", code)
	}
	c.waitStatus(job.JobID, time.Minute, "completed")
	var res struct {
		DownloadURL string `json:"download_url"`
	}
	c.do("GET", "/v1/batch/"+job.JobID+"/results", nil, &res)
	if !strings.HasPrefix(res.DownloadURL, "https://"+addr+"/") {
		t.Fatalf("download_url %q is not https", res.DownloadURL)
	}
	if got := c.download(job.JobID); !bytes.Equal(got, offlineResults(t, seedSpec, seedInput)) {
		t.Error("results over https differ from the offline run")
	}

	// The healthcheck command reaches it with the configuration alone.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", "--addr", addr, "--data-dir", dir}, []string{"CLASSER_TLS_SELF_SIGNED=true"}, nil, &out, io.Discard); err != nil {
		t.Errorf("healthcheck over TLS: %v", err)
	}

	// A restart keeps the certificate (and so its fingerprint).
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	p = startProcAt(t, bin, dir, addr, "CLASSER_TLS_SELF_SIGNED=true")
	if !bytes.Equal(readCertDER(t, certPath), der) || !strings.Contains(p.logs.String(), "using the self-signed TLS certificate") ||
		!strings.Contains(p.logs.String(), want) {
		t.Fatalf("after a restart the certificate changed:\n%s", p.logs.String())
	}
}

// TestTLSCertFiles: tls.cert_file and tls.key_file (--tls-cert, --tls-key) serve HTTPS with
// a CA-issued certificate; the healthcheck pins it; half a pair is a config error.
func TestTLSCertFiles(t *testing.T) {
	dir := t.TempDir()
	caPEM, certFile, keyFile := issueCert(t, dir, "127.0.0.1")
	cfg := testConfig(t, dir)
	cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, keyFile
	m := startMain(t, cfg)
	defer m.Close()
	if !strings.HasPrefix(m.URL, "https://") {
		t.Fatalf("URL %q", m.URL)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := hc.Get(m.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("proto %s, want HTTP/2.0", resp.Proto)
	}
	c := &client{t: t, base: m.URL, key: acmeKey, http: hc}
	if job := c.createJob(seedSpec); !strings.HasPrefix(job.UploadURL, m.URL+"/") {
		t.Errorf("upload_url %q", job.UploadURL)
	}

	addr := strings.TrimPrefix(m.URL, "https://")
	if err := run(context.Background(), []string{"healthcheck", "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile}, nil, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck pinned to the certificate: %v", err)
	}
	// Pinned to another certificate, the healthcheck fails.
	_, otherCert, otherKey := issueCert(t, t.TempDir(), "127.0.0.1")
	if err := run(context.Background(), []string{"healthcheck", "--addr", addr, "--tls-cert", otherCert, "--tls-key", otherKey}, nil, nil, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck accepted a server whose certificate is not the configured one")
	}

	for _, env := range [][]string{{"CLASSER_TLS_CERT_FILE=" + certFile}, {"CLASSER_TLS_SELF_SIGNED=true", "CLASSER_TLS_CERT_FILE=" + certFile, "CLASSER_TLS_KEY_FILE=" + keyFile}} {
		if err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, env, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "tls.") {
			t.Errorf("serve with %v: %v, want a tls config error", env, err)
		}
	}
}

// TestHealthcheckCommand: exit 0 for a serving appliance on its configured address (an
// unspecified host is reached on loopback), an error when nothing answers.
func TestHealthcheckCommand(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	m := startMain(t, cfg)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(m.URL, "http://"))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck"}, []string{"CLASSER_ADDR=0.0.0.0:" + port}, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), `"status":"ok"`) {
		t.Errorf("healthcheck: %v %q", err, out.String())
	}
	m.Close()
	if err := run(context.Background(), []string{"healthcheck", "--addr", "127.0.0.1:" + port, "--timeout", "2s"}, nil, nil, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck passed with nothing serving")
	}
}

// TestSelfSignedCertHosts: the certificate names what clients will dial, and a new one is
// made when the listen address or public URL is no longer covered, or it nears its end.
func TestSelfSignedCertHosts(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	lo := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8443}
	hosts := certHosts(lo, "https://classer.example.com:8443")
	if strings.Join(hosts, ",") != "127.0.0.1,localhost,classer.example.com" {
		t.Errorf("hosts for loopback + public URL: %v", hosts)
	}
	if any := certHosts(&net.TCPAddr{IP: net.IPv4zero, Port: 8443}, ""); len(any) < 3 || any[0] != "localhost" || any[1] != "127.0.0.1" {
		t.Errorf("hosts for 0.0.0.0: %v", any)
	}
	c1, created, err := loadOrCreateSelfSigned(dir, hosts, now)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	c2, created, _ := loadOrCreateSelfSigned(dir, hosts, now.Add(300*24*time.Hour))
	if created || !bytes.Equal(c1.Certificate[0], c2.Certificate[0]) {
		t.Error("the certificate was made again although it still covers everything")
	}
	if _, created, _ := loadOrCreateSelfSigned(dir, append(hosts, "other.example.com"), now); !created {
		t.Error("a new host is not covered, yet the certificate was kept")
	}
	if _, created, _ := loadOrCreateSelfSigned(dir, append(hosts, "other.example.com"), now.Add(380*24*time.Hour)); !created {
		t.Error("the certificate nears its end, yet it was kept")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCertDER(t *testing.T, path string) []byte {
	t.Helper()
	block, _ := pem.Decode(mustRead(t, path))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	return block.Bytes
}

// issueCert makes a CA and a certificate it signed for host, writes the certificate and
// its key to dir, and returns the CA's PEM and the two paths.
func issueCert(t *testing.T, dir, host string) (caPEM []byte, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, IPAddresses: []net.IP{net.ParseIP(host)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caCert, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile
}

// uploadWith posts the upload form with hc (an HTTPS client).
func uploadWith(t *testing.T, hc *http.Client, url string, fields [][2]string, content string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", "input.ndjson")
	io.WriteString(fw, content)
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
