package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// TestSnapshotWhileWriting: a snapshot taken while writes go on is a consistent database
// that opens and holds what was committed before it; its hash is the bytes'.
func TestSnapshotWhileWriting(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	secret, _, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, db, newJob("batch_a", "acme", t0, batch.StatusProcessing))
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { // a job checkpointing meanwhile
		var err error
		for i := 0; err == nil; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			_, err = db.UpdateJob(ctx, "batch_a", func(j *batch.Job) error { j.Checkpoint.Completed = int64(i); return nil })
		}
		done <- err
	}()
	snap, err := db.Snapshot(ctx)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(snap)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); int64(len(b)) != snap.Size || string(sum[:]) != string(snap.SHA256) {
		t.Fatalf("snapshot of %d bytes (size says %d), hash mismatch %x", len(b), snap.Size, snap.SHA256)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	os.WriteFile(path, b, 0o600)
	sum, err := Inspect(path)
	if err != nil || sum.Keys != 1 || sum.Jobs[batch.StatusProcessing] != 1 || sum.SchemaVersion != schemaVersion {
		t.Fatalf("Inspect(snapshot) = %+v, %v", sum, err)
	}
	copyDB := openPath(t, path)
	if k, err := copyDB.Authenticate(ctx, secret); err != nil || k.Account != "acme" {
		t.Fatalf("the key in the snapshot: %v %v", k, err)
	}
	// No spool file is left beside the database.
	entries, _ := os.ReadDir(filepath.Dir(db.path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".backup-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestRestoreRefuses: restore installs only a database of this appliance that this binary
// reads, never while a server holds the database, and leaves the database in place as it
// was when it refuses.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "data", "classer.db")
	cur := openPath(t, target)
	cur.CreateKey(ctx, "current", false)
	cur.Close()
	before, _ := os.ReadFile(target)

	good := filepath.Join(dir, "good.db")
	g := openPath(t, good)
	g.CreateKey(ctx, "restored", true)
	g.Close()
	goodBytes, _ := os.ReadFile(good)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	boltWith := func(name string, fn func(tx *bolt.Tx) error) string {
		p := filepath.Join(dir, name)
		b, err := bolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Update(fn); err != nil {
			t.Fatal(err)
		}
		b.Close()
		return p
	}
	other := boltWith("other.db", func(tx *bolt.Tx) error { // another program's bbolt file
		b, _ := tx.CreateBucket([]byte("widgets"))
		return b.Put([]byte("a"), []byte("b"))
	})
	newer := write("newer.db", goodBytes)
	nb, _ := bolt.Open(newer, 0o600, nil)
	nb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaSchemaVersion), binary.BigEndian.AppendUint64(nil, schemaVersion+1))
	})
	nb.Close()
	noJobs := write("nojobs.db", goodBytes)
	jb, _ := bolt.Open(noJobs, 0o600, nil)
	jb.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketJobs)) })
	jb.Close()
	damaged := goodBytes[:len(goodBytes)/2]
	flipped := append([]byte{}, goodBytes...)
	for i := 4096 * 2; i < len(flipped) && i < 4096*2+512; i++ { // scramble a data page
		flipped[i] ^= 0x5a
	}

	for _, tc := range []struct{ name, path, msg string }{
		{"a JSON file", write("x.json", []byte(`{"keys":[]}`)), "not a bbolt database file"},
		{"an empty file", write("empty.db", nil), "not a bbolt database file"},
		{"half a backup", write("half.db", damaged), "not a classer-batch database"},
		{"a scrambled page", write("flipped.db", flipped), "not a classer-batch database"},
		{"another program's bbolt file", other, "bbolt database of another program"},
		{"a newer schema", newer, "written by a newer classer-batch"},
		{"no jobs bucket", noJobs, `lacks the "jobs" bucket`},
		{"a directory", dir, "not a regular file"},
		{"the database itself", target, "is the database itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Restore(target, tc.path, time.Now())
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Restore = %v; want it refused saying %q", err, tc.msg)
			}
			if tc.name != "the database itself" && !errors.Is(err, ErrNotAppliance) {
				t.Errorf("%v does not wrap ErrNotAppliance", err)
			}
			if after, _ := os.ReadFile(target); string(after) != string(before) {
				t.Fatal("a refused restore changed the database in place")
			}
		})
	}

	// While a server holds the database: refused, saying so.
	running := openPath(t, target)
	if _, err := Restore(target, good, time.Now()); !errors.Is(err, ErrLocked) {
		t.Fatalf("Restore while the database is open: %v, want ErrLocked", err)
	}
	running.Close()
	before, _ = os.ReadFile(target) // opening it wrote a transaction

	// A good backup is installed; the old database is kept aside, as it was.
	now := time.Date(2026, 12, 1, 10, 15, 0, 0, time.UTC)
	res, err := Restore(target, good, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kept != target+".before-restore-20261201T101500Z" || res.Summary.Keys != 1 || res.Summary.Accounts != 1 {
		t.Fatalf("Restore = %+v", res)
	}
	if kept, _ := os.ReadFile(res.Kept); string(kept) != string(before) {
		t.Fatal("the database kept aside differs from the one that was in place")
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("restored database mode %v, want 0600", fi.Mode().Perm())
	}
	db := openPath(t, target)
	keys, _ := db.Keys(ctx)
	if len(keys) != 1 || keys[0].Account != "restored" {
		t.Fatalf("keys after restore: %+v", keys)
	}
}

// TestRestoreTwiceInOneSecond (issue 22): two restores in the same second each keep the
// database they replace under a name of its own; the second never overwrites the copy
// the first kept, so the original database is not lost.
func TestRestoreTwiceInOneSecond(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "data", "classer.db")
	backup := func(name, account string) string {
		p := filepath.Join(dir, name)
		db := openPath(t, p)
		if _, _, err := db.CreateKey(ctx, account, false); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return p
	}
	orig := backup("data/classer.db", "original")
	origBytes, _ := os.ReadFile(orig)
	a, b := backup("a.db", "first"), backup("b.db", "second")
	aBytes, _ := os.ReadFile(a)

	now := time.Date(2026, 12, 1, 10, 15, 0, 0, time.UTC)
	first, err := Restore(target, a, now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Restore(target, b, now.Add(999*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	stamp := target + ".before-restore-20261201T101500Z"
	if first.Kept != stamp || second.Kept != stamp+"-2" {
		t.Fatalf("kept as %q then %q; want %q then %q", first.Kept, second.Kept, stamp, stamp+"-2")
	}
	for _, k := range []struct {
		path string
		want []byte
		what string
	}{{first.Kept, origBytes, "the original database"}, {second.Kept, aBytes, "the first restore's database"}} {
		got, err := os.ReadFile(k.path)
		if err != nil || string(got) != string(k.want) {
			t.Fatalf("%s is not kept at %s (%v)", k.what, k.path, err)
		}
	}
	db := openPath(t, target)
	if keys, _ := db.Keys(ctx); len(keys) != 1 || keys[0].Account != "second" {
		t.Fatalf("keys after the second restore: %+v", keys)
	}
}

// TestRestoreKeepsTheOwner (issue 22): root restoring for a service that runs as its own
// user (the systemd unit's dynamic user) leaves a database that user owns: the owner of
// the database it replaces, or of the data dir when there was none. It used to be root's
// (0600), and the service could not open it.
func TestRestoreKeepsTheOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("giving a file another owner needs root, and CI runs as root")
		}
		t.Skip("giving a file another owner needs root (CI runs as root)")
	}
	const uid, gid = 65534, 65534
	ctx := context.Background()
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.db")
	b := openPath(t, backup)
	b.CreateKey(ctx, "restored", false)
	b.Close()
	for _, existing := range []bool{true, false} {
		data := filepath.Join(dir, fmt.Sprintf("data-%v", existing))
		if err := os.Mkdir(data, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chown(data, uid, gid)
		target := filepath.Join(data, "classer.db")
		if existing {
			db := openPath(t, target)
			db.Close()
			os.Chown(target, uid, gid)
		}
		if _, err := Restore(target, backup, time.Now()); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(target)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
			t.Errorf("with a database in place %v: the restored database is %d:%d's; want the service user's %d:%d", existing, st.Uid, st.Gid, uid, gid)
		}
	}
}
