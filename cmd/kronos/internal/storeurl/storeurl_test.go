package storeurl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiyu-coder/kronos/cmd/kronos/internal/storeurl"
)

func TestParse(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		raw        string
		wantDriver string
		wantPath   string // SQLite only
		wantString string
		embedded   bool
		wantErr    string // substring; "" means no error
	}{
		{
			name: "empty is SQLite in the data dir", raw: "",
			wantDriver: storeurl.SQLite, wantPath: "/data/kronos.db", wantString: "sqlite:///data/kronos.db", embedded: true,
		},
		{
			name: "sqlite absolute path", raw: "sqlite:///var/lib/kronos/k.db",
			wantDriver: storeurl.SQLite, wantPath: "/var/lib/kronos/k.db", wantString: "sqlite:///var/lib/kronos/k.db",
		},
		{
			name: "sqlite relative path is relative to the working directory", raw: "sqlite://rel/path.db",
			wantDriver: storeurl.SQLite, wantPath: filepath.Join(wd, "rel/path.db"), wantString: "sqlite://" + filepath.Join(wd, "rel/path.db"),
		},
		{
			name: "scheme is case-insensitive", raw: "SQLite:///k.db",
			wantDriver: storeurl.SQLite, wantPath: "/k.db", wantString: "sqlite:///k.db",
		},
		{
			name: "mysql with password is redacted", raw: "mysql://kronos:s3cret@db.internal:3306/kronos?tls=true",
			wantDriver: storeurl.MySQL, wantString: "mysql://kronos:xxxxx@db.internal:3306/kronos?tls=true",
		},
		{
			name: "mysql without password or port", raw: "mysql://root@127.0.0.1/kronos",
			wantDriver: storeurl.MySQL, wantString: "mysql://root@127.0.0.1/kronos",
		},
		{name: "sqlite without a path", raw: "sqlite://", wantErr: "names no file"},
		{name: "sqlite directory", raw: "sqlite:///var/lib/", wantErr: "names a directory"},
		{name: "sqlite with parameters", raw: "sqlite:///k.db?_pragma=x", wantErr: "take no parameters"},
		{name: "mysql without host", raw: "mysql://user:pw@/kronos", wantErr: "names no host"},
		{name: "mysql without user", raw: "mysql://db:3306/kronos", wantErr: "names no user"},
		{name: "mysql without database", raw: "mysql://u:pw@db:3306/", wantErr: "names no database"},
		{name: "mysql with a bad port", raw: "mysql://u:pw@db:port/k", wantErr: "not a valid MySQL URL"},
		{name: "mysql with a path for a database", raw: "mysql://u:pw@db/k/x", wantErr: "database name may use only"},
		{name: "mariadb scheme suggests mysql", raw: "mariadb://u:pw@db/k", wantErr: "write mysql://…"},
		{name: "postgres is not supported", raw: "postgres://u:pw@db/k", wantErr: `unsupported scheme "postgres"`},
		{name: "a bare path is not a URL", raw: "/var/lib/k.db", wantErr: "is not a store URL"},
		{name: "a go-sql-driver DSN is not a URL", raw: "root:pw@tcp(127.0.0.1:3306)/kronos", wantErr: "looks like a Go MySQL DSN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := storeurl.Parse(tt.raw, "/data")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.raw, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "sqlite://") && !strings.Contains(err.Error(), "mysql://") {
					t.Errorf("error %q does not show an accepted form", err)
				}
				for _, secret := range []string{"pw@", "s3cret"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q leaks the password", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if got.Driver != tt.wantDriver || got.Path != tt.wantPath || got.String() != tt.wantString || got.Embedded != tt.embedded {
				t.Errorf("Parse(%q) = {Driver %q, Path %q, String %q, Embedded %v}, want {%q, %q, %q, %v}",
					tt.raw, got.Driver, got.Path, got.String(), got.Embedded, tt.wantDriver, tt.wantPath, tt.wantString, tt.embedded)
			}
			if got.Driver == storeurl.MySQL && got.URL != tt.raw {
				t.Errorf("URL = %q, want the raw URL %q for the driver", got.URL, tt.raw)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"mysql://u:pw@h/db":             "mysql://xxxxx@h/db",
		"mysql://h/db":                  "mysql://h/db",
		"redis://:pw@h:6379/0":          "redis://xxxxx@h:6379/0",
		"mysql://u:p@ss@h:bad/db":       "mysql://xxxxx@h:bad/db",
		"mysql://u:pa/ss@h/db":          "mysql://xxxxx@h/db",
		"no url here":                   "no url here",
		"root:pw@tcp(127.0.0.1:3306)/k": "xxxxx@tcp(127.0.0.1:3306)/k",
		"/u:secret@0":                   "xxxxx@0",
	}
	for in, want := range tests {
		if got := storeurl.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse checks that no input makes Parse panic or print a password.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "sqlite:///a.db", "sqlite://a", "mysql://u:secret@h:1/d?x=y", "mysql://u:secret@[::1/d", "x://u:secret@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tgt, err := storeurl.Parse(raw, "/data")
		const secret = "secret"
		if !strings.Contains(raw, "u:"+secret+"@") || strings.Count(raw, secret) != 1 {
			return
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("Parse(%q) error %q shows the password", raw, err)
		}
		if err == nil && tgt.Driver == storeurl.MySQL && strings.Contains(tgt.String(), secret) {
			t.Errorf("Parse(%q).String() = %q shows the password", raw, tgt)
		}
	})
}
