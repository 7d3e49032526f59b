package pipeline

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestIDIndex(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := 0; i < 5000; i++ {
		b.Append(fmt.Sprintf("C%07d", i))
	}
	b.Append("") // an empty id is an id
	ids := b.NewStringArray()
	defer ids.Release()
	ix := newIDIndex(ids)
	for row := 0; row < ids.Len(); row++ {
		if got, ok := ix.lookup(ids.Value(row)); !ok || got != int32(row) {
			t.Fatalf("lookup(%q) = %d, %v; want %d, true", ids.Value(row), got, ok, row)
		}
	}
	for _, id := range []string{"C0005000", "C000000", "C00000000", "c0000001", " "} {
		if got, ok := ix.lookup(id); ok {
			t.Errorf("lookup(%q) = %d, true; want not found", id, got)
		}
	}
}
