package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testClock is a deterministic clock: every call is one second after the previous one.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// openTest opens a fresh database in t.TempDir with a deterministic clock and closes it
// at the end of the test.
func openTest(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "classer.db")
	db := openPath(t, path)
	return db, path
}

func openPath(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	clk := &testClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	db.now = clk.now
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// reopen closes db and opens the same file again, to prove a write reached the disk.
func reopen(t *testing.T, db *DB, path string) *DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openPath(t, path)
}

func TestOpenCreatesLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "classer.db")
	db := openPath(t, path)

	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("mode of %s = %v, want %v", p, fi.Mode(), want)
		}
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketKeys, bucketKeyHashes, bucketJobs, bucketAccountJobs, bucketMeta} {
			if tx.Bucket([]byte(b)) == nil {
				return fmt.Errorf("bucket %s missing", b)
			}
		}
		v := tx.Bucket([]byte(bucketMeta)).Get([]byte(metaSchemaVersion))
		if len(v) != 8 || binary.BigEndian.Uint64(v) != schemaVersion {
			return fmt.Errorf("schema version = %x, want %d", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	db, path := openTest(t)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaSchemaVersion), binary.BigEndian.AppendUint64(nil, schemaVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path)
	if err == nil {
		_ = db2.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !strings.Contains(err.Error(), "schema version") {
		t.Errorf("error %q does not mention the schema version", err)
	}
	// The refused open must release the lock, or the next start would report "in use".
	db3, err := Open(path)
	if err == nil || errors.Is(err, ErrLocked) {
		if db3 != nil {
			_ = db3.Close()
		}
		t.Fatalf("second Open after refusal: err = %v, want the schema error again", err)
	}
}

func checkLockedErr(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a locked database: err = %v, want ErrLocked", err)
	}
	want := "database " + path + " is in use by another process (is classer-batch serve running?)"
	if err.Error() != want {
		t.Errorf("error message = %q, want %q", err, want)
	}
}

// flock(2) locks belong to the open file description, so a second bolt.Open of the same
// file, even in this process, conflicts with the first.
func TestOpenLockedInProcess(t *testing.T) {
	db, path := openTest(t)
	start := time.Now()
	db2, err := Open(path)
	if err == nil {
		_ = db2.Close()
		t.Fatal("second Open of an open database succeeded")
	}
	checkLockedErr(t, err, path)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %v to give up, want about %v", d, openTimeout)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db3, err := Open(path)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	_ = db3.Close()
}

// lockHolderEnv makes the test binary act as another process that holds a database.
const lockHolderEnv = "STORE_TEST_HOLD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHolderEnv); path != "" {
		os.Exit(holdLock(path))
	}
	os.Exit(m.Run())
}

// holdLock opens path, reports "ready", and keeps it open until stdin closes.
func holdLock(path string) int {
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// The real scenario: `classer-batch keys create` while `serve` runs in another process.
func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "classer.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("lock holder said %q, %v", line, err)
	}

	db, err := Open(path)
	if err == nil {
		_ = db.Close()
		t.Fatal("Open while another process holds the database succeeded")
	}
	checkLockedErr(t, err, path)

	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lock holder: %v", err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	_ = db.Close()
}

func TestPingClosed(t *testing.T) {
	db, _ := openTest(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err == nil {
		t.Error("Ping on a closed database succeeded")
	}
}

func TestRandomString(t *testing.T) {
	const alphabet = "ab"
	s := randomString(4000, alphabet)
	if len(s) != 4000 {
		t.Fatalf("len = %d", len(s))
	}
	a := strings.Count(s, "a")
	if a+strings.Count(s, "b") != len(s) {
		t.Fatalf("characters outside the alphabet in %q", s[:40])
	}
	// With a fair coin 4000 draws fall within ±300 of 2000 except with probability ~1e-21.
	if a < 1700 || a > 2300 {
		t.Errorf("%d of 4000 are 'a': biased", a)
	}
	if randomString(32, secretAlphabet) == randomString(32, secretAlphabet) {
		t.Error("two random strings are equal")
	}
}
