package data

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// makeTree creates the files (paths with forward slashes, under dir) with
// a few bytes each, and returns dir.
func makeTree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDiscover(t *testing.T) {
	tree := []string{
		"companies/part-00000-abc.snappy.parquet",
		"companies/part-00001",
		"companies/_SUCCESS",
		"companies/.part-00000-abc.snappy.parquet.crc",
		"companies/_temporary/0/part-9.parquet",
		"companies/.hidden/part-8.parquet",
		"companies/year=2024/month=01/b.parquet",
		"companies/year=2024/month=01/a.parquet",
		"companies/year=2023/x.parquet",
		"companies/year=2023-old/y.parquet",
		"companies/a-b/z.parquet",
		"companies/a/z.parquet",
		"other/one.parquet",
		"other/two.parq",
		"other/_c.parquet",
		"other/c.parquet",
		"empty/_SUCCESS",
		"empty/.keep",
	}
	dir := makeTree(t, tree...)
	tests := []struct {
		name     string
		spec     string // relative to dir, with forward slashes
		wantRoot string // relative to dir
		want     []string
		wantErr  error // nil: no error; otherwise the error must wrap it
		errAny   bool  // some error, of no particular kind
	}{
		{
			name:     "directory: recursive, hidden names skipped, hive folders read",
			spec:     "companies",
			wantRoot: "companies",
			want: []string{
				"a-b/z.parquet", "a/z.parquet", "part-00000-abc.snappy.parquet", "part-00001",
				"year=2023-old/y.parquet", "year=2023/x.parquet",
				"year=2024/month=01/a.parquet", "year=2024/month=01/b.parquet",
			},
		},
		{
			name:     "directory with a trailing slash",
			spec:     "other/",
			wantRoot: "other",
			want:     []string{"c.parquet", "one.parquet", "two.parq"},
		},
		{
			name:     "one file",
			spec:     "companies/year=2023/x.parquet",
			wantRoot: "companies/year=2023",
			want:     []string{"x.parquet"},
		},
		{
			name:     "one file whose name starts with an underscore, given explicitly",
			spec:     "companies/_SUCCESS",
			wantRoot: "companies",
			want:     []string{"_SUCCESS"},
		},
		{
			name:     "star in one folder",
			spec:     "other/*.parquet",
			wantRoot: "other",
			want:     []string{"c.parquet", "one.parquet"},
		},
		{
			name:     "question mark and class",
			spec:     "other/[ct]??.parq*",
			wantRoot: "other",
			want:     []string{"two.parq"},
		},
		{
			name:     "double star matches zero or more folders",
			spec:     "companies/**/*.parquet",
			wantRoot: "companies",
			want: []string{
				"a-b/z.parquet", "a/z.parquet", "part-00000-abc.snappy.parquet",
				"year=2023-old/y.parquet", "year=2023/x.parquet",
				"year=2024/month=01/a.parquet", "year=2024/month=01/b.parquet",
			},
		},
		{
			name:     "double star at the end",
			spec:     "companies/year=2024/**",
			wantRoot: "companies/year=2024",
			want:     []string{"month=01/a.parquet", "month=01/b.parquet"},
		},
		{
			name:     "wildcard in a folder",
			spec:     "companies/year=*/*.parquet",
			wantRoot: "companies",
			want:     []string{"year=2023-old/y.parquet", "year=2023/x.parquet"},
		},
		{
			name:     "a glob matching folders takes the files below them",
			spec:     "companies/year=202[34]",
			wantRoot: "companies",
			want:     []string{"year=2023/x.parquet", "year=2024/month=01/a.parquet", "year=2024/month=01/b.parquet"},
		},
		{
			name:     "a wildcard does not match hidden names",
			spec:     "other/*",
			wantRoot: "other",
			want:     []string{"c.parquet", "one.parquet", "two.parq"},
		},
		{
			name:     "a pattern starting with an underscore does",
			spec:     "other/_*",
			wantRoot: "other",
			want:     []string{"_c.parquet"},
		},
		{
			name:    "a glob matching nothing",
			spec:    "other/*.csv",
			wantErr: ErrNoFiles,
		},
		{
			name:    "a directory with only hidden files",
			spec:    "empty",
			wantErr: ErrNoFiles,
		},
		{
			name:    "a missing path",
			spec:    "nowhere",
			wantErr: os.ErrNotExist,
		},
		{
			name:    "a glob under a missing folder",
			spec:    "nowhere/*.parquet",
			wantErr: os.ErrNotExist,
		},
		{
			name:   "a bad pattern",
			spec:   "other/[.parquet",
			errAny: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := filepath.Join(dir, filepath.FromSlash(tt.spec))
			if strings.HasSuffix(tt.spec, "/") {
				spec += string(filepath.Separator)
			}
			root, files, err := Discover(spec)
			if tt.wantErr != nil || tt.errAny {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("Discover(%q) error = %v, want %v", tt.spec, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), spec) {
					t.Errorf("Discover(%q) error = %q, want it to name the spec", tt.spec, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover(%q) error = %v", tt.spec, err)
			}
			if want := filepath.Join(dir, filepath.FromSlash(tt.wantRoot)); root != want {
				t.Errorf("Discover(%q) root = %s, want %s", tt.spec, root, want)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Rel)
				if f.Path != filepath.Join(root, filepath.FromSlash(f.Rel)) {
					t.Errorf("file %s: Path = %s, want it under the root %s", f.Rel, f.Path, root)
				}
				if f.Size != 1 {
					t.Errorf("file %s: Size = %d, want 1", f.Rel, f.Size)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Discover(%q) = %q, want %q", tt.spec, got, tt.want)
			}
		})
	}
}

// TestDiscoverLinks: linked files are read, a link loop is not followed
// twice, FIFOs are skipped.
func TestDiscoverLinks(t *testing.T) {
	dir := makeTree(t, "data/a.parquet", "elsewhere/b.parquet")
	data := filepath.Join(dir, "data")
	if err := os.Symlink(filepath.Join(dir, "elsewhere", "b.parquet"), filepath.Join(data, "b.parquet")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(data, filepath.Join(data, "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(data, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(data, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{data, filepath.Join(data, "**")} {
		_, files, err := Discover(spec)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			got = append(got, f.Rel)
		}
		want := []string{"a.parquet", "b.parquet", "linked/b.parquet"}
		if !slices.Equal(got, want) {
			t.Errorf("Discover(%s) = %q, want %q", spec, got, want)
		}
	}
}
