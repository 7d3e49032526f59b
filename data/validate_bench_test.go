package data

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchRows = 65536

func BenchmarkCompanyValidator(b *testing.B) {
	mem := memory.NewGoAllocator()
	rows := make([]row, benchRows)
	for i := range rows {
		rows[i] = company(fmt.Sprintf("company-%08d", i))
	}
	batch := testBatch(b, mem, Companies, rows)
	defer batch.Release()
	b.SetBytes(benchRows)
	b.ResetTimer()
	for b.Loop() {
		v := NewCompanyValidator(testRunDate, nil)
		v.Check(batch).Release()
	}
}

func BenchmarkChildValidator(b *testing.B) {
	mem := memory.NewGoAllocator()
	cv := NewCompanyValidator(testRunDate, nil)
	comp := make([]row, benchRows/4)
	for i := range comp {
		comp[i] = company(fmt.Sprintf("company-%08d", i))
	}
	cb := testBatch(b, mem, Companies, comp)
	cv.Check(cb).Release()
	cb.Release()
	models := []string{"gpt-4o", "claude-sonnet-4", "gemini-2.5-pro", "llama-3.3-70b"}
	providers := []string{"openai", "anthropic", "google", "meta"}
	rows := make([]row, benchRows)
	for i := range rows {
		rows[i] = usage(fmt.Sprintf("company-%08d", i/4), providers[i%4], models[i%4])
	}
	batch := testBatch(b, mem, ModelUsage, rows)
	defer batch.Release()
	b.SetBytes(benchRows)
	b.ResetTimer()
	for b.Loop() {
		v := NewChildValidator(ModelUsage, testRunDate, nil, cv.Companies())
		v.Check(batch).Release()
	}
}
