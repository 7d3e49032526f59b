package data

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// corpusTimeout is the time limit for reading one corpus file: a file that
// takes longer counts as a hang.
const corpusTimeout = 20 * time.Second

// corpusDir returns the parquet-testing checkout next to the repository,
// or skips the test when there is none on this machine. CI always has the
// corpus beside the checkout, so there a missing corpus fails the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := findCorpus()
	if err != nil && os.Getenv("CI") != "" {
		t.Fatalf("parquet-testing corpus not found at ../shared/parquet-testing next to the module root: %v", err)
	}
	if err != nil {
		t.Skipf("parquet-testing corpus not found at ../shared/parquet-testing next to the module root: %v", err)
	}
	return dir
}

// findCorpus looks for ../shared/parquet-testing next to the module root.
func findCorpus() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
		root = parent
	}
	dir := filepath.Join(root, "..", "shared", "parquet-testing")
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// corpusFiles lists every regular file under the corpus's data and
// bad_data folders.
func corpusFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	for _, sub := range []string{"data", "bad_data"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestCorpus reads every file of the parquet-testing corpus, every column,
// through ReadAll: each must end in success or in a *FileError naming the
// file, without a panic and within corpusTimeout.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	files := corpusFiles(t, dir)
	if len(files) == 0 {
		t.Fatalf("no files under %s", dir)
	}
	var table strings.Builder
	var nOK, nErr int
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		ctx, cancel := context.WithTimeout(context.Background(), corpusTimeout)
		var rows, batches int64
		err := ReadAll(ctx, mem, path, func(rec arrow.Record) error {
			rows += rec.NumRows()
			batches++
			return nil
		})
		timedOut := ctx.Err() != nil
		cancel()
		switch {
		case timedOut:
			t.Errorf("%s: no result within %v: %v", rel, corpusTimeout, err)
			continue
		case err == nil:
			nOK++
			fmt.Fprintf(&table, "%-70s ok     %d rows\n", rel, rows)
		default:
			nErr++
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), path) {
				t.Errorf("ReadAll(%s) = %v (%T), want a *FileError naming the file", rel, err, err)
			}
			msg := strings.TrimPrefix(err.Error(), path+": ")
			fmt.Fprintf(&table, "%-70s error  %s\n", rel, msg)
		}
		if n := mem.CurrentAlloc(); n != 0 {
			// arrow-go's DELTA_BINARY_PACKED decoder does not give back its
			// block buffers (the garbage collector does): noted, not failed
			fmt.Fprintf(&table, "%-70s        (decoder left %d bytes to the garbage collector)\n", "", n)
		}
	}
	t.Logf("%d files: %d read, %d failed cleanly\n%s", len(files), nOK, nErr, table.String())
}
