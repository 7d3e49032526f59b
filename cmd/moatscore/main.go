// Command moatscore scores AI companies on wrapper exposure and data moat
// from four Parquet datasets, and publishes ranked, explained results.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], osEnv())
	stop()
	os.Exit(code)
}
