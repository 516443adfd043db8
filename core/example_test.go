package core_test

import (
	"errors"
	"fmt"

	"github.com/shiyu-coder/kronos/core"
)

// Validation reports every bad field by its JSON path, with the fix.
func ExampleTask_Validate() {
	task := core.Task{Name: "Nightly Backup", Schedule: "0 2 * *", Executor: "http"}
	task.Normalize()
	var ve *core.ValidationError
	if errors.As(task.Validate(), &ve) {
		for _, f := range ve.Fields {
			fmt.Println(f.Field)
		}
	}
	// Output:
	// name
	// schedule
}
