package blob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// copyBufSize is the fixed buffer every upload streams through: a 5 GiB file
// costs 1 MiB of memory, whatever its size.
const copyBufSize = 1 << 20

// Local is a Store on the local disk. Objects are files under one directory;
// the file of key k is dir/k (slashes become directories). Writes go to a temp
// file in the same directory, are fsynced, renamed over the final name and the
// directory is fsynced, so an object is either fully there or not at all, even
// across a crash.
//
// Local also signs and verifies the URLs that let clients upload and download
// objects without an API key (see PresignUpload, ReceiveUpload,
// PresignDownload, ServeDownload). It is safe for concurrent use.
type Local struct {
	dir       string
	secret    []byte
	publicURL string
	now       func() time.Time
}

// NewLocal returns a Local storing objects under dir (created if missing, mode
// 0750), signing URLs with secret (at least SecretLen bytes, see
// LoadOrCreateSecret) and baking publicURL (scheme and host the clients use,
// e.g. "http://127.0.0.1:8080"; a trailing slash is dropped) into signed URLs.
// now is the clock used for expiry; nil means time.Now.
func NewLocal(dir string, secret []byte, publicURL string, now func() time.Time) (*Local, error) {
	if len(secret) < SecretLen {
		return nil, fmt.Errorf("blob: signing secret has %d bytes, need at least %d", len(secret), SecretLen)
	}
	publicURL = strings.TrimRight(publicURL, "/")
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("blob: public URL %q must be an absolute http(s) URL without query or fragment", publicURL)
	}
	if dir == "" {
		return nil, errors.New("blob: empty object directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: object directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("blob: create object directory: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Local{
		dir:       abs,
		secret:    append([]byte(nil), secret...),
		publicURL: publicURL,
		now:       now,
	}, nil
}

// path returns the file of a key that has passed validKey.
func (l *Local) path(key string) string {
	return filepath.Join(l.dir, filepath.FromSlash(key))
}

// pingBytes is what Ping writes: an empty file takes no data block, so it would
// succeed on a full disk.
const pingBytes = 4096

// Ping reports whether the object directory takes writes, by writing, syncing and
// removing a 4 KiB temp file in it. A full disk wraps syscall.ENOSPC.
func (l *Local) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(l.dir, ".ping-*")
	if err != nil {
		return fmt.Errorf("blob: object directory not writable: %w", err)
	}
	name := f.Name()
	_, werr := f.Write(make([]byte, pingBytes))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(name)
	if err := errors.Join(werr, serr, cerr, rerr); err != nil {
		return fmt.Errorf("blob: object directory not writable: %w", err)
	}
	return nil
}

// Put stores r under key; see Store.Put. Over max wraps ErrTooLarge; an
// invalid key wraps ErrInvalidKey; an error from r is returned wrapped (so
// errors.Is sees through it); on any error nothing changes under key. ctx is
// checked between reads.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error) {
	return l.put(ctx, key, r, 0, max, nil)
}

// put is Put with a minimum size (the POST policy's content-length-range):
// fewer than min bytes wraps ErrBadUpload; tee, if not nil, sees every byte written,
// and if it has a method End() error, that is called after the last byte: an error
// refuses the file (returned wrapped) and nothing is stored.
func (l *Local) put(ctx context.Context, key string, r io.Reader, min, max int64, tee io.Writer) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("blob: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	final := l.path(key)
	dir := filepath.Dir(final)
	f, err := createTemp(dir, filepath.Base(final))
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	src := &ctxReader{ctx: ctx, r: r}
	var lr io.Reader = src
	if max >= 0 {
		lr = io.LimitReader(src, max+1)
	}
	n, rerr, werr := copyToFile(f, lr, tee)
	if rerr != nil {
		return 0, fmt.Errorf("blob: put %s: read: %w", key, rerr)
	}
	if werr != nil {
		return 0, fmt.Errorf("blob: put %s: write: %w", key, werr)
	}
	if max >= 0 && n > max {
		return 0, fmt.Errorf("blob: put %s: more than %d bytes: %w", key, max, ErrTooLarge)
	}
	if n < min {
		return 0, fmt.Errorf("blob: put %s: %d bytes, below the minimum of %d (entity too small): %w", key, n, min, ErrBadUpload)
	}
	// A tee that judges the file as a whole (the server refuses an empty upload) does so
	// before the file replaces what was stored under key.
	if e, ok := tee.(interface{ End() error }); ok {
		if err := e.End(); err != nil {
			return 0, fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("blob: put %s: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("blob: put %s: close: %w", key, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	return n, nil
}

// createTemp creates the temp file for an object named base in dir, creating
// dir first. A Delete of the neighbouring objects may remove dir between the
// two steps, which costs one retry. The temp name starts with "." and key
// segments cannot, so it never collides with an object or a partial.
func createTemp(dir, base string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		f, err := os.CreateTemp(dir, "."+base+".*.tmp")
		if err == nil || attempt > 0 || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
}

// isTemp reports whether a file name is one of createTemp's (or Ping's): a write that
// has not finished, or never will.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".tmp") || strings.HasPrefix(name, ".ping-"))
}

// RemoveTemps removes the temp files of writes that never finished: an upload cut off
// by a crash or kill -9 leaves its temp file beside the object, where it would stay
// until the job is deleted (issue 22 #8). It must run only at start, before anything
// writes (the database's lock makes this the only appliance on the directory), since a
// write in progress would lose its temp file. It returns how many it removed.
func (l *Local) RemoveTemps(ctx context.Context) (int, error) {
	n := 0
	err := filepath.WalkDir(l.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !isTemp(d.Name()) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("blob: remove unfinished writes: %w", err)
	}
	return n, nil
}

// isNotDir reports an error from a path whose parent is a file (e.g. key
// "a/b" when "a" is an object): for callers that is simply "not there".
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// ctxReader stops a long copy when ctx is done, and remembers the reader's
// own error so Put can tell read failures from disk failures.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// Open returns the object under key positioned at offset. A missing key wraps
// ErrNotExist; an offset beyond the end (or negative) is an error, because a
// caller resuming past the end of its input has lost track of it.
func (l *Local) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	f, err := l.openAt(ctx, key, offset)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	readSequentially(f)
	return f, nil
}

// OpenSequential is Open for a reader that goes once from offset to the end, such as a
// job's pass over its input: on Linux it reads past the page cache (O_DIRECT, see
// directReader), which spares the CPU of filling the cache with data read once.
func (l *Local) OpenSequential(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	f, err := l.openAt(ctx, key, offset)
	if err != nil {
		return nil, err
	}
	rc, err := streamFile(f, offset)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return rc, nil
}

// openAt opens key's file for reading from offset, which must be within it.
func (l *Local) openAt(ctx context.Context, key string, offset int64) (*os.File, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, size, _, err := l.openFile(key)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > size {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: offset %d outside object of %d bytes", key, offset, size)
	}
	return f, nil
}

// openFile opens a validated key's regular file.
func (l *Local) openFile(key string) (*os.File, int64, time.Time, error) {
	f, err := os.Open(l.path(key))
	if err != nil {
		return nil, 0, time.Time{}, mapNotExist(key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, time.Time{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		// "jobs/x" names a directory of objects, not an object.
		f.Close()
		return nil, 0, time.Time{}, fmt.Errorf("blob: %s: %w", key, ErrNotExist)
	}
	return f, fi.Size(), fi.ModTime(), nil
}

// Stat returns the size of the object under key; missing wraps ErrNotExist.
func (l *Local) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("blob: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	fi, err := os.Stat(l.path(key))
	if err != nil {
		return 0, mapNotExist(key, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("blob: %s: %w", key, ErrNotExist)
	}
	return fi.Size(), nil
}

// mapNotExist turns the OS's not-found (and "a parent is a file") into
// ErrNotExist and names the key rather than the file path.
func mapNotExist(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return fmt.Errorf("blob: %s: %w", key, ErrNotExist)
	}
	return fmt.Errorf("blob: %s: %w", key, err)
}

// Delete removes every object whose key starts with prefix, including partial
// results and leftover temp files, then removes directories left empty. The
// prefix must be non-empty and look like a key or a key's start (it may end in
// "/" or mid-segment); otherwise it wraps ErrInvalidKey. Nothing matching is
// not an error.
func (l *Local) Delete(ctx context.Context, prefix string) error {
	if !validPrefix(prefix) {
		return fmt.Errorf("blob: delete %q: %w", truncate(prefix, 80), ErrInvalidKey)
	}
	// Walk only the deepest directory the prefix names in full.
	base := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = prefix[:i]
	}
	root := l.dir
	if base != "" {
		root = l.path(base)
	}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && (errors.Is(err, fs.ErrNotExist) || isNotDir(err)) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p == root {
				return nil
			}
			// Descend only where keys below can still match the prefix.
			if !strings.HasPrefix(rel+"/", prefix) && !strings.HasPrefix(prefix, rel+"/") {
				return fs.SkipDir
			}
			dirs = append(dirs, p)
			return nil
		}
		if keyOfFile(rel, prefix) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", prefix, err)
	}
	// Deepest first; a directory that is not empty (other objects, or a Put
	// racing with us) simply stays.
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i])
	}
	if base != "" {
		for d := root; d != l.dir && strings.HasPrefix(d, l.dir+string(filepath.Separator)); d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
	if err := syncDir(l.dir); err != nil {
		return fmt.Errorf("blob: delete %s: %w", prefix, err)
	}
	return nil
}

// keyOfFile reports whether the file at rel (slash path under the store)
// belongs to a key starting with prefix. Partials count under their key; temp
// files ("dir/.name.123.tmp") count under the key they were being written for.
func keyOfFile(rel, prefix string) bool {
	if strings.HasPrefix(rel, prefix) {
		return true
	}
	dir, name := path.Split(rel)
	if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
		base := strings.TrimPrefix(name, ".")
		if i := strings.LastIndexByte(strings.TrimSuffix(base, ".tmp"), '.'); i >= 0 {
			return strings.HasPrefix(dir+base[:i], prefix)
		}
	}
	return false
}

// CreatePartial starts (offset 0) or resumes (offset > 0) the results written
// under key; see Store.CreatePartial. The data lives in "<key>.partial" until
// Commit. Resuming a missing partial wraps ErrNotExist; a partial shorter than
// offset is an error, since the checkpoint is ahead of the durable data.
func (l *Local) CreatePartial(ctx context.Context, key string, offset int64) (Partial, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("blob: create partial: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("blob: create partial %s: negative offset %d", key, offset)
	}
	final := l.path(key)
	name := final + partialSuffix
	dir := filepath.Dir(final)
	p := &partial{key: key, name: name, final: final, dir: dir}
	if offset == 0 {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("blob: create partial %s: %w", key, err)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("blob: create partial %s: %w", key, err)
		}
		p.f = f
		// The new directory entry is not durable yet: the first Sync fsyncs
		// the directory, or a checkpoint could outlive the file it refers to.
		p.needDirSync = true
	} else {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
				return nil, fmt.Errorf("blob: resume partial %s at %d: %w", key, offset, ErrNotExist)
			}
			return nil, fmt.Errorf("blob: resume partial %s: %w", key, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("blob: resume partial %s: %w", key, err)
		}
		if fi.Size() < offset {
			f.Close()
			return nil, fmt.Errorf("blob: resume partial %s: it has %d bytes but the checkpoint is at %d", key, fi.Size(), offset)
		}
		if err := f.Truncate(offset); err != nil {
			f.Close()
			return nil, fmt.Errorf("blob: resume partial %s: truncate: %w", key, err)
		}
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("blob: resume partial %s: %w", key, err)
		}
		p.f = f
		p.size = offset
	}
	p.w = bufio.NewWriterSize(p.f, copyBufSize)
	return p, nil
}

// partial is Local's Partial.
type partial struct {
	key, name, final, dir string
	f                     *os.File
	w                     *bufio.Writer
	needDirSync           bool
	done                  bool  // closed or committed
	size                  int64 // bytes in the object, durable or buffered
}

var errPartialDone = errors.New("partial already closed or committed")

func (p *partial) Write(b []byte) (int, error) {
	if p.done {
		return 0, fmt.Errorf("blob: write %s: %w", p.key, errPartialDone)
	}
	n, err := p.w.Write(b)
	p.size += int64(n)
	return n, err
}

// Sync flushes the buffer and fsyncs the file (and, the first time after a
// create, its directory): on local disk everything written is then durable.
func (p *partial) Sync() (int64, error) {
	if p.done {
		return 0, fmt.Errorf("blob: sync %s: %w", p.key, errPartialDone)
	}
	if err := p.w.Flush(); err != nil {
		return 0, fmt.Errorf("blob: sync %s: %w", p.key, err)
	}
	if err := p.f.Sync(); err != nil {
		return 0, fmt.Errorf("blob: sync %s: %w", p.key, err)
	}
	if p.needDirSync {
		if err := syncDir(p.dir); err != nil {
			return 0, fmt.Errorf("blob: sync %s: %w", p.key, err)
		}
		p.needDirSync = false
	}
	return p.size, nil
}

// Commit makes the data durable and publishes it under the final key,
// replacing any object there. After Commit the Partial is closed.
func (p *partial) Commit() error {
	if _, err := p.Sync(); err != nil {
		return err
	}
	p.done = true
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("blob: commit %s: %w", p.key, err)
	}
	if err := os.Rename(p.name, p.final); err != nil {
		return fmt.Errorf("blob: commit %s: %w", p.key, err)
	}
	if err := syncDir(p.dir); err != nil {
		return fmt.Errorf("blob: commit %s: %w", p.key, err)
	}
	return nil
}

// Close releases the file without publishing; unsynced bytes may be lost.
func (p *partial) Close() error {
	if p.done {
		return nil
	}
	p.done = true
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("blob: close %s: %w", p.key, err)
	}
	return nil
}

// syncDir fsyncs a directory so renames and creates in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}
