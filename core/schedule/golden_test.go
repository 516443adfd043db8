package schedule

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/next")

// goldenSeparator divides a golden file's input from its expected output.
const goldenSeparator = "----------"

// TestNextGolden checks next-fire sequences against files under
// testdata/next. Each file holds a header of "key: value" lines (expr, tz,
// start as RFC 3339, count) and "#" comments, a line "----------", then the
// expected instants in RFC 3339 with the task zone's offset, one a line. To
// add a case, write the header and run
//
//	go test ./core/schedule/ -run TestNextGolden -update
//
// then check the new instants by eye before committing them.
func TestNextGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "next", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files under testdata/next")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(file) //nolint:gosec // file comes from the Glob of testdata above
			if err != nil {
				t.Fatal(err)
			}
			header, expected, _ := strings.Cut(string(raw), goldenSeparator+"\n")
			g := parseGoldenHeader(t, header)
			s, err := Parse(g.expr, g.tz)
			if err != nil {
				t.Fatalf("%s: Parse(%q, %q): %v", file, g.expr, g.tz, err)
			}
			var got bytes.Buffer
			for _, at := range s.Preview(g.start, g.count) {
				fmt.Fprintln(&got, at.Format(time.RFC3339))
			}
			if *update {
				out := header + goldenSeparator + "\n" + got.String()
				if err := os.WriteFile(file, []byte(out), 0o644); err != nil { //nolint:gosec // golden files are ordinary repository files
					t.Fatal(err)
				}
				return
			}
			if got.String() != expected {
				t.Errorf("%s: next-fire sequence differs (run with -update to rewrite)\n--- got\n%s--- want\n%s", file, got.String(), expected)
			}
		})
	}
}

type goldenCase struct {
	expr, tz string
	start    time.Time
	count    int
}

func parseGoldenHeader(t *testing.T, header string) goldenCase {
	t.Helper()
	var g goldenCase
	seen := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(header), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("header line %q is not \"key: value\"", line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		seen[key] = true
		var err error
		switch key {
		case "expr":
			g.expr = value
		case "tz":
			g.tz = value
		case "start":
			g.start, err = time.Parse(time.RFC3339, value)
		case "count":
			g.count, err = strconv.Atoi(value)
		default:
			t.Fatalf("unknown header key %q", key)
		}
		if err != nil {
			t.Fatalf("header %q: %v", key, err)
		}
	}
	for _, key := range []string{"expr", "start", "count"} {
		if !seen[key] {
			t.Fatalf("header lacks %q", key)
		}
	}
	return g
}
