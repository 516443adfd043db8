package sdk

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Level is the level of a log line.
type Level uint32

// The log levels, numbered as the log host function numbers them.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// String returns debug, info, warn or error.
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	default:
		return "level(" + strconv.FormatUint(uint64(l), 10) + ")"
	}
}

// Logger writes the execution's log lines. Each method takes a message and
// key-value pairs, formatted as `msg key=value key2="two words"`. Kronos
// cuts lines at 1 KiB and caps the bytes an execution may log.
type Logger struct {
	host Host
}

// Debug logs at LevelDebug.
func (l *Logger) Debug(msg string, kv ...any) { l.log(LevelDebug, msg, kv) }

// Info logs at LevelInfo.
func (l *Logger) Info(msg string, kv ...any) { l.log(LevelInfo, msg, kv) }

// Warn logs at LevelWarn.
func (l *Logger) Warn(msg string, kv ...any) { l.log(LevelWarn, msg, kv) }

// Error logs at LevelError.
func (l *Logger) Error(msg string, kv ...any) { l.log(LevelError, msg, kv) }

func (l *Logger) log(level Level, msg string, kv []any) {
	if l == nil || l.host == nil {
		return
	}
	l.host.Log(level, FormatLog(msg, kv...))
}

// FormatLog formats a message and key-value pairs as one log line:
// `msg key=value key2="two words"`. Values are quoted when they are empty
// or hold spaces, quotes, '=' or control characters. A key without a value
// is printed with the value !MISSING, as log/slog does with !BADKEY.
func FormatLog(msg string, kv ...any) string {
	var b strings.Builder
	b.WriteString(msg)
	for i := 0; i < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(logKey(kv[i]))
		b.WriteByte('=')
		if i+1 >= len(kv) {
			b.WriteString("!MISSING")
			break
		}
		b.WriteString(logValue(kv[i+1]))
	}
	return b.String()
}

func logKey(k any) string {
	s, ok := k.(string)
	if !ok {
		s = fmt.Sprint(k)
	}
	if s == "" {
		return "!EMPTY"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '=' || r == '"' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, s)
}

func logValue(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case error:
		s = x.Error()
	case fmt.Stringer:
		s = x.String()
	case nil:
		s = "<nil>"
	default:
		s = fmt.Sprint(x)
	}
	if needsQuote(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return true
		}
	}
	return false
}
