package schedule

// Field names used in [Error.Field].
const (
	// FieldSchedule marks an error in the schedule expression.
	FieldSchedule = "schedule"
	// FieldTimezone marks an error in the time zone name.
	FieldTimezone = "timezone"
)

// Error is a parse or validation error for a schedule or its time zone.
//
// Field is [FieldSchedule] or [FieldTimezone], so that callers can map the
// error onto their own field path (for example "spec.schedule"). Expr is the
// offending input after trimming. Msg says what is wrong and how to fix it,
// and is what [Error.Error] returns, for example
// `cron: expected 5 or 6 fields, got 4 (try "*/5 * * * *")`.
type Error struct {
	// Field is "schedule" or "timezone".
	Field string
	// Expr is the input that was refused.
	Expr string
	// Msg is the human-readable problem and its fix.
	Msg string
}

// Error returns the message, which already names the syntax at fault and the
// offending part of the input.
func (e *Error) Error() string { return e.Msg }

func scheduleError(expr, msg string) *Error {
	return &Error{Field: FieldSchedule, Expr: expr, Msg: msg}
}
