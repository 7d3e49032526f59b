package data

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is one file of an input dataset.
type File struct {
	Path string // the path to open
	Rel  string // the path relative to the dataset root, with forward slashes
	Size int64
}

// Discover lists the files of a dataset spec, sorted by path. The spec is
//
//   - a file: that file; the root is its directory;
//   - a directory: every regular file below it, at any depth, except names
//     starting with "_" or "." (_SUCCESS, .crc files, _temporary folders);
//     Hive-style key=value folder names are read like any other folder;
//   - a glob with *, ? and [...] within one path segment and ** for any
//     number of folders: every regular file whose path matches, and every
//     file below a folder whose path matches; the root is the glob's
//     leading part without wildcards. A wildcard does not match a name
//     starting with "_" or "." unless the pattern segment starts with that
//     character too.
//
// Symbolic links are followed; a folder reached twice (a link loop) is read
// once. FIFOs, sockets and devices are skipped. A spec that matches no file
// is an error wrapping ErrNoFiles and naming the spec.
func Discover(spec string) (root string, files []File, err error) {
	if spec == "" {
		return "", nil, fmt.Errorf("dataset spec is empty: %w", ErrNoFiles)
	}
	if hasMeta(spec) {
		return discoverGlob(spec)
	}
	info, err := os.Stat(spec)
	if err != nil {
		return "", nil, fmt.Errorf("dataset %q: %w", spec, err)
	}
	switch {
	case info.Mode().IsRegular():
		root = filepath.Dir(spec)
		files = []File{{Path: spec, Rel: filepath.Base(spec), Size: info.Size()}}
	case info.IsDir():
		root = filepath.Clean(spec)
		w := newWalker(root, nil)
		if err := w.walk(root, nil, true); err != nil {
			return "", nil, fmt.Errorf("dataset %q: %w", spec, err)
		}
		files = w.sorted()
	default:
		return "", nil, fmt.Errorf("dataset %q: not a regular file or a directory", spec)
	}
	if len(files) == 0 {
		return "", nil, fmt.Errorf("dataset %q: %w", spec, ErrNoFiles)
	}
	return root, files, nil
}

func discoverGlob(spec string) (string, []File, error) {
	segs := strings.Split(filepath.ToSlash(spec), "/")
	first := slices.IndexFunc(segs, hasMeta)
	root := strings.Join(segs[:first], "/")
	switch {
	case first == 0:
		root = "."
	case root == "":
		root = "/"
	}
	root = filepath.FromSlash(root)
	var pat []string
	for _, s := range segs[first:] {
		if s == "" || s == "." {
			continue // a doubled or trailing slash
		}
		if s == ".." {
			return "", nil, fmt.Errorf("dataset %q: \"..\" after a wildcard is not supported", spec)
		}
		if s != "**" {
			if _, err := filepath.Match(s, ""); err != nil {
				return "", nil, fmt.Errorf("dataset %q: bad pattern %q: %w", spec, s, err)
			}
		}
		pat = append(pat, s)
	}
	info, err := os.Stat(root)
	if err != nil {
		return "", nil, fmt.Errorf("dataset %q: %w", spec, err)
	}
	if !info.IsDir() {
		return "", nil, fmt.Errorf("dataset %q: %s is not a directory", spec, root)
	}
	w := newWalker(root, pat)
	if err := w.walk(root, nil, false); err != nil {
		return "", nil, fmt.Errorf("dataset %q: %w", spec, err)
	}
	if len(w.files) == 0 {
		return "", nil, fmt.Errorf("dataset %q: %w", spec, ErrNoFiles)
	}
	return root, w.sorted(), nil
}

// hasMeta reports whether s holds a glob wildcard.
func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// hidden reports whether a file or folder name is skipped by default.
func hidden(name string) bool { return name != "" && (name[0] == '_' || name[0] == '.') }

type walker struct {
	root    string
	pat     []string // glob segments below root; nil in directory mode
	visited map[string]bool
	files   []File
}

func newWalker(root string, pat []string) *walker {
	w := &walker{root: root, pat: pat, visited: map[string]bool{}}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		w.visited[real] = true
	}
	return w
}

// sorted returns the files found, sorted by path.
func (w *walker) sorted() []File {
	slices.SortFunc(w.files, func(a, b File) int { return strings.Compare(a.Rel, b.Rel) })
	return w.files
}

// walk lists dir, whose path relative to the root is rel. With all set,
// every non-hidden file below dir is taken; otherwise paths are matched
// against the glob.
func (w *walker) walk(dir string, rel []string, all bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if all && hidden(name) {
			continue
		}
		segs := append(rel[:len(rel):len(rel)], name)
		if !all && !couldMatch(w.pat, segs) {
			continue
		}
		full := filepath.Join(dir, name)
		info, err := os.Stat(full) // follows links
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			real, err := filepath.EvalSymlinks(full)
			if err != nil {
				return err
			}
			if w.visited[real] {
				continue
			}
			w.visited[real] = true
			if err := w.walk(full, segs, all || matchSegs(w.pat, segs)); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if all || matchSegs(w.pat, segs) {
				w.files = append(w.files, File{Path: full, Rel: strings.Join(segs, "/"), Size: info.Size()})
			}
		}
	}
	return nil
}

// matchName matches one path segment against one pattern segment. A
// wildcard does not match a leading "_" or ".".
func matchName(pat, name string) bool {
	if hidden(name) && pat[0] != name[0] {
		return false
	}
	ok, _ := filepath.Match(pat, name)
	return ok
}

// matchSegs reports whether the path segments match the pattern segments
// exactly; "**" matches any number of (non-hidden) segments.
func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 && pat[0] != "**" {
		if len(segs) == 0 || !matchName(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	if len(pat) == 0 {
		return len(segs) == 0
	}
	// pat[0] is "**": skip it, or let it take one more segment.
	if matchSegs(pat[1:], segs) {
		return true
	}
	return len(segs) > 0 && !hidden(segs[0]) && matchSegs(pat, segs[1:])
}

// couldMatch reports whether segs, a path below the root, matches the
// pattern or a prefix of it, so that it or something below it may match.
func couldMatch(pat, segs []string) bool {
	for len(segs) > 0 {
		if len(pat) == 0 {
			return false
		}
		if pat[0] == "**" {
			return couldMatch(pat[1:], segs) || (!hidden(segs[0]) && couldMatch(pat, segs[1:]))
		}
		if !matchName(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return true
}
