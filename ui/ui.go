package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Cache-Control values. Vite names every file under assets/ by a hash of
// its content, so a browser may keep one forever; every other file
// (index.html, favicon.svg) is revalidated on each use against its ETag.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// contentSecurityPolicy is sent with every HTML page: the app loads only
// its own scripts and styles and talks only to its own origin. React sets
// style properties through the CSSOM, which style-src does not restrict.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// reserved are the paths of the node's other routes (the REST API, its
// OpenAPI reference and schemas, metrics, health), each with the paths
// below it. A request for one that reaches this handler matched no route
// there: it is answered 404, never with the app's page.
var reserved = []string{"/api", "/docs", "/schemas", "/metrics", "/healthz", "/readyz"}

// Handler returns the handler of the web UI, to mount at "GET /" after
// the API's routes. It serves the embedded ui/dist (or, in a binary built
// without the kronos_ui tag, a page that says how to build the UI):
//
//   - a file that exists is served, hashed assets with a one-year immutable
//     Cache-Control and everything else with no-cache and an ETag;
//   - a page path (no file extension, not under the API's prefixes) asked
//     for by a browser (Accept: text/html) gets index.html, so that the
//     app's client-side routes (/tasks, /tasks/new) load on a reload or
//     from a bookmark;
//   - anything else is 404, so a mistyped URL in a script fails plainly.
func Handler() http.Handler {
	sub, err := fs.Sub(embedded, embeddedDir)
	if err != nil {
		panic(fmt.Sprintf("ui: embedded files: %v", err)) // embeddedDir is a constant that exists
	}
	return handler(sub)
}

// file is one file of the UI, read once at start, with its gzip form when
// that is worth sending.
type file struct {
	data []byte
	etag string
	gz   []byte
}

// gzipMin is the size below which a file is sent as it is: gzip's framing
// would eat the saving.
const gzipMin = 1024

// compressible are the extensions of the files worth compressing (text);
// images such as PNG are compressed already.
var compressible = map[string]bool{".html": true, ".js": true, ".css": true, ".svg": true, ".json": true, ".map": true, ".txt": true}

// gzipped returns data compressed at the best level, or nil when that
// saves nothing.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level
	_, _ = zw.Write(data)                                  // writes to a buffer do not fail
	_ = zw.Close()
	if b.Len() >= len(data) {
		return nil
	}
	return b.Bytes()
}

type server struct {
	files map[string]file // by slash path without a leading slash
}

// handler serves the files of fsys, whose root holds index.html; see Handler.
func handler(fsys fs.FS) http.Handler {
	s := &server{files: map[string]file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		f := file{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if len(data) >= gzipMin && compressible[path.Ext(name)] {
			f.gz = gzipped(data)
		}
		s.files[name] = f
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("ui: reading the embedded files: %v", err)) // an embed.FS or a test's MapFS does not fail
	}
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = path.Clean(p)
	for _, prefix := range reserved {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			http.NotFound(w, r)
			return
		}
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" {
		name = "index.html"
	}
	if f, ok := s.files[name]; ok {
		s.serve(w, r, name, f)
		return
	}
	if index, ok := s.files["index.html"]; ok && isPage(name) && acceptsHTML(r) {
		s.serve(w, r, "index.html", index)
		return
	}
	http.NotFound(w, r)
}

func (s *server) serve(w http.ResponseWriter, r *http.Request, name string, f file) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(name, "assets/") {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	if path.Ext(name) == ".html" {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "same-origin")
	}
	body, etag := f.data, f.etag
	if f.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			// The compressed form is another representation: its own ETag.
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent sets Content-Type from the extension, answers
	// If-None-Match with 304 and HEAD without a body, and serves ranges.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the client takes gzip (Accept-Encoding names
// it or *, without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// isPage reports whether a missing path looks like one of the app's pages
// rather than a file: its last segment has no extension.
func isPage(name string) bool {
	return !strings.Contains(path.Base(name), ".")
}

// acceptsHTML reports whether the client asked for a page (a browser's
// navigation sends Accept: text/html,…).
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
