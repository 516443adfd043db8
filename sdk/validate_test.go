package sdk

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestInvokeValidate(t *testing.T) {
	v := func(config json.RawMessage) []FieldError {
		if string(config) == `{"ok":true}` {
			return nil
		}
		return []FieldError{{Field: "config.script", Message: "SyntaxError at line 1, column 3: Unexpected token )"}}
	}
	out, err := InvokeValidate([]byte(`{"config":{"ok":true}}`), v)
	if err != nil || string(out) != `{"errors":[]}` {
		t.Fatalf("valid: %s, %v", out, err)
	}
	out, err = InvokeValidate([]byte(`{"config":{}}`), v)
	if want := `{"errors":[{"field":"config.script","message":"SyntaxError at line 1, column 3: Unexpected token )"}]}`; err != nil || string(out) != want {
		t.Fatalf("invalid: %s, %v", out, err)
	}
	if _, err := InvokeValidate([]byte(`nope`), v); err == nil {
		t.Error("bad input accepted")
	}
	if _, err := InvokeValidate([]byte(`{}`), nil); err == nil {
		t.Error("nil validator accepted")
	}
}

func TestFieldErrors(t *testing.T) {
	err := errors.Join(errors.New("config.script: SyntaxError at line 2, column 1: x"), errors.New("config: unknown field \"a\""), errors.New("something else: y"))
	want := []FieldError{
		{Field: "config.script", Message: "SyntaxError at line 2, column 1: x"},
		{Field: "config", Message: "unknown field \"a\""},
		{Field: "config", Message: "something else: y"},
	}
	if got := FieldErrors(err); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if FieldErrors(nil) != nil {
		t.Error("nil error gave fields")
	}
}
