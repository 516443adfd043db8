package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/lmittmann/tint"
)

// newLogger returns the server's logger writing to w: JSON for
// --log-format json; for text, colourful tint output when w is a terminal
// and plain slog text (logfmt) otherwise, so that files and log collectors
// get no escape codes. NO_COLOR turns colours off.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	var h slog.Handler
	switch {
	case format == "json":
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	case isTerminal(w):
		h = tint.NewTextHandler(w, &tint.Options{
			Level:      level,
			TimeFormat: "15:04:05.000",
			NoColor:    os.Getenv("NO_COLOR") != "",
		})
	default:
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	}
	return slog.New(h)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
