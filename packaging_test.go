package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The packaging (issue 14): the systemd unit and the container image. Each test needs a
// tool that .ci/run installs with apt-get (systemd's systemd-analyze, buildah); without it
// the test skips, except in CI (CI=true), where it fails.

func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing: .ci/run installs Debian's %s package", name, pkg)
	}
	t.Skipf("%s is not installed (Debian's %s package; .ci/run installs it)", name, pkg)
	return ""
}

// TestSystemdUnit: packaging/classer-batch.service passes `systemd-analyze verify` without a
// word (verify exits 0 on unknown keys and bad values, so any output fails), is hardened
// (systemd-analyze security's exposure at most 2.0 of 10) and has what the issue asks:
// a dynamic user, a state directory for the data, ProtectSystem=strict, NoNewPrivileges
// and a config file.
func TestSystemdUnit(t *testing.T) {
	analyze := needTool(t, "systemd-analyze", "systemd")
	unit := mustRead(t, "packaging/classer-batch.service")
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=classer-batch", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"--config /etc/classer-batch/config.yaml", "--data-dir /var/lib/classer-batch", "ExecStart=/usr/local/bin/classer-batch serve "} {
		if !bytes.Contains(unit, []byte("\n"+want)) && !bytes.Contains(unit, []byte(" "+want)) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	// verify checks that ExecStart's binary exists: point it at the one the tests built.
	dir := t.TempDir()
	path := filepath.Join(dir, "classer-batch.service")
	os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/classer-batch"), []byte(buildBinary(t))), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure over 2.0 (%v)\n%s", err, out)
	}
	if m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out); m != nil {
		t.Logf("systemd-analyze security: exposure %s of 10", m[1])
	}
}

// TestStaticBinary: the binary the tests (and packaging/) build is static, as the FROM
// scratch image needs: no ELF interpreter, no shared libraries.
func TestStaticBinary(t *testing.T) {
	f, err := elf.Open(buildBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary has an ELF interpreter: it is dynamically linked (build with CGO_ENABLED=0)")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary needs shared libraries %v", libs)
	}
}

// TestContainerImage builds packaging/Dockerfile with buildah (FROM scratch needs no base
// image, so no network), checks the image's configuration (unprivileged user, /data volume,
// health check by the binary itself, entrypoint), then runs what the image holds as the
// image would: its root file system as the root (chroot), its user, its environment (the
// address moved to a free loopback port), and asks the health check it declares.
func TestContainerImage(t *testing.T) {
	buildah := needTool(t, "buildah", "buildah")
	if os.Geteuid() != 0 {
		t.Skip("building and running the image's file system needs root")
	}
	dockerfile := string(mustRead(t, "packaging/Dockerfile"))
	for _, want := range []string{"\nFROM scratch\n", "\nVOLUME [\"/data\"]\n", "\nHEALTHCHECK ", "CMD [\"/classer-batch\", \"healthcheck\"]", "\nUSER 65532:65532\n", "CGO_ENABLED=0 go build"} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("packaging/Dockerfile lacks %q", want)
		}
	}
	work := t.TempDir()
	ctxDir := filepath.Join(work, "context")
	copyTree(t, "packaging", ctxDir)
	os.Remove(filepath.Join(ctxDir, "classer-batch"))
	bin := mustRead(t, buildBinary(t))
	if err := os.WriteFile(filepath.Join(ctxDir, "classer-batch"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// A storage of the test's own, removed with it: nothing is left on the machine.
	store := []string{"--storage-driver", "vfs", "--root", filepath.Join(work, "storage"), "--runroot", filepath.Join(work, "run")}
	bah := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(buildah, append(slices.Clone(store), args...)...)
		cmd.Env = append(os.Environ(), "BUILDAH_ISOLATION=chroot")
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("buildah %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		exec.Command(buildah, append(slices.Clone(store), "rm", "--all")...).Run()
		exec.Command(buildah, append(slices.Clone(store), "rmi", "--all", "--force")...).Run()
	})
	start := time.Now()
	bah("bud", "--quiet", "--format", "docker", "-f", filepath.Join(ctxDir, "Dockerfile"), "-t", "classer-batch:test", ctxDir)
	t.Logf("image built in %s", time.Since(start).Round(time.Millisecond))

	var img struct {
		Docker struct {
			Config struct {
				User         string
				Env          []string
				Entrypoint   []string
				Cmd          []string
				Volumes      map[string]any
				ExposedPorts map[string]any
				Healthcheck  struct{ Test []string }
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(bah("inspect", "--type", "image", "classer-batch:test")), &img); err != nil {
		t.Fatal(err)
	}
	cfg := img.Docker.Config
	if cfg.User != "65532:65532" || cfg.Volumes["/data"] == nil || cfg.ExposedPorts["8080/tcp"] == nil ||
		!slices.Equal(cfg.Healthcheck.Test, []string{"CMD", "/classer-batch", "healthcheck"}) ||
		!slices.Equal(cfg.Entrypoint, []string{"/classer-batch"}) || !slices.Equal(cfg.Cmd, []string{"serve"}) ||
		!slices.Contains(cfg.Env, "CLASSER_DATA_DIR=/data") {
		t.Fatalf("image config %+v", cfg)
	}

	ctr := bah("from", "classer-batch:test")
	root := bah("mount", ctr)
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"classer-batch", "data"}) {
		t.Errorf("the image holds %v; want only the binary and /data (FROM scratch)", names)
	}
	if fi, err := os.Stat(filepath.Join(root, "data")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65532 {
		t.Fatalf("/data in the image: %v; want it owned by 65532", err)
	}

	// Run it as the image would, on a free loopback port instead of 0.0.0.0:8080.
	env := append(slices.Clone(cfg.Env), "CLASSER_ADDR="+freeAddr(t))
	serve := exec.Command("chroot", "--userspec="+cfg.User, root, "/classer-batch", "serve")
	serve.Env = env
	stderr, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	served := make(chan string, 1)
	logs := &syncBuffer{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "classer-batch serving") {
				served <- sc.Text()
			}
		}
		close(served)
	}()
	select {
	case line, ok := <-served:
		if !ok {
			t.Fatalf("the image's binary stopped:\n%s", logs.String())
		}
		if !strings.Contains(line, "data_dir=/data") {
			t.Errorf("serving line %q; want data_dir=/data", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the image's binary did not start serving within 30s")
	}
	hc := exec.Command("chroot", append([]string{"--userspec=" + cfg.User, root}, cfg.Healthcheck.Test[1:]...)...)
	hc.Env = env
	if out, err := hc.CombinedOutput(); err != nil || !strings.Contains(string(out), `"status":"ok"`) {
		t.Fatalf("the image's health check: %v\n%s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(root, "data", "classer.db")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65532 {
		t.Fatalf("the database in the volume: %v", err)
	}
}
