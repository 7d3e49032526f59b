package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// checkOutIntact verifies what a reader of the output root at root can see.
// It holds at any moment, even right after a process was killed and before
// the next one rolls forward:
//
//   - each dataset folder, and failed/, holds only run_date=YYYY-MM-DD folders;
//   - each of those is whole: it holds no staging or temporary file; every
//     Parquet file in it reads to the end and every JSON file parses; a runs
//     or failed folder carries the marker of the run that made it, for its
//     own date;
//   - each published date (runs/run_date=D/manifest.json) is complete: every
//     dataset its run published holds D, no other dataset does, and the run
//     id in the manifest and in the Parquet files of D (the run_id key of the
//     file metadata and the run_id column, when they exist) is the run's.
//
// It returns the published run ids by date (YYYY-MM-DD).
func checkOutIntact(t testing.TB, root string) map[string]string {
	t.Helper()
	folders := map[string]map[string]map[string]bool{} // folder -> date -> run ids seen in its Parquet files
	markers := map[string]map[string]marker{}          // runs, failed -> date -> marker
	for _, f := range append(append([]string(nil), datasets...), FailedFolder) {
		entries, err := os.ReadDir(filepath.Join(root, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		folders[f] = map[string]map[string]bool{}
		markers[f] = map[string]marker{}
		for _, e := range entries {
			date, ok := parsePartition(e.Name())
			if !ok || !e.IsDir() {
				t.Errorf("%s/%s: not a run_date=YYYY-MM-DD folder", f, e.Name())
				continue
			}
			dir := filepath.Join(root, f, e.Name())
			if f == DatasetRuns || f == FailedFolder {
				m := readMarker(dir)
				if m.RunID == "" || m.RunDate != date {
					t.Errorf("%s/%s: marker %+v, want one of a run for %s: a folder that is not whole is visible", f, e.Name(), m, date)
				}
				markers[f][date] = m
			}
			folders[f][date] = checkFolderReadable(t, dir)
		}
	}

	published := map[string]string{}
	for date, m := range markers[DatasetRuns] {
		manifest := filepath.Join(root, DatasetRuns, partition(date), ManifestName)
		if ok, _ := exists(manifest); !ok {
			continue
		}
		published[date] = m.RunID
		var doc map[string]any
		if b, err := os.ReadFile(manifest); err == nil && json.Unmarshal(b, &doc) == nil {
			if id, ok := doc["run_id"].(string); ok && id != m.RunID {
				t.Errorf("%s: run_id %q, but the folder was made by run %s", manifest, id, m.RunID)
			}
		}
		for _, ds := range datasets {
			ids, ok := folders[ds][date]
			want := slices.Contains(m.Datasets, ds)
			switch {
			case want && !ok:
				t.Errorf("run %s for %s published %s, but %s/%s is missing", m.RunID, date, ds, ds, partition(date))
			case !want && ok:
				t.Errorf("%s/%s is visible, but run %s published only %s for that date", ds, partition(date), m.RunID, strings.Join(m.Datasets, ", "))
			}
			for id := range ids {
				if id != m.RunID {
					t.Errorf("%s/%s holds rows of run %s, want only %s (the run of its manifest)", ds, partition(date), id, m.RunID)
				}
			}
		}
	}
	return published
}

// checkFolderReadable walks a published folder: no staging or temporary
// names, Parquet files readable to the end, JSON files well formed. It
// returns the run ids found in the Parquet files.
func checkFolderReadable(t testing.TB, dir string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path == dir || name == markerName && filepath.Dir(path) == dir {
			return nil
		}
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".partial") || strings.HasSuffix(name, "~") {
			t.Errorf("%s: a staging or temporary file is visible", path)
			return nil
		}
		if d.IsDir() {
			return nil
		}
		switch filepath.Ext(name) {
		case ".parquet":
			checkParquetReadable(t, path, ids)
		case ".json":
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
			} else if !json.Valid(b) {
				t.Errorf("%s: not valid JSON", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", dir, err)
	}
	return ids
}

// checkParquetReadable reads every row of a Parquet file, batch by batch,
// and adds the run ids it holds (file metadata key run_id, column run_id)
// to ids.
func checkParquetReadable(t testing.TB, path string, ids map[string]bool) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Errorf("open %s: %v", path, err)
		return
	}
	defer pf.Close()
	if v := pf.MetaData().KeyValueMetadata().FindValue("run_id"); v != nil {
		ids[*v] = true
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, mem)
	if err != nil {
		t.Errorf("read %s: %v", path, err)
		return
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		t.Errorf("read %s: %v", path, err)
		return
	}
	defer rr.Release()
	var rows int64
	for rr.Next() {
		rec := rr.RecordBatch()
		rows += rec.NumRows()
		for i, f := range rec.Schema().Fields() {
			if f.Name != "run_id" {
				continue
			}
			col, ok := rec.Column(i).(interface {
				IsNull(int) bool
				ValueStr(int) string
				Len() int
			})
			if !ok {
				continue
			}
			for r := range col.Len() {
				if !col.IsNull(r) {
					ids[col.ValueStr(r)] = true
				}
			}
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		t.Errorf("read %s: %v", path, err)
	}
	if rows != pf.NumRows() {
		t.Errorf("read %s: %d rows, want %d", path, rows, pf.NumRows())
	}
}
