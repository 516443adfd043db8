package sdk

import (
	"strings"
	"testing"
)

func TestResultEncode(t *testing.T) {
	tests := []struct {
		name    string
		res     Result
		want    string
		wantErr string
	}{
		{"zero result succeeds with no value", Result{}, `{"status":"succeeded"}`, ""},
		{"succeeded with a value", Succeeded(map[string]int{"n": 1}), `{"status":"succeeded","result":{"n":1}}`, ""},
		{"failed with a message and value", Failed("HTTP 503", map[string]int{"status": 503}), `{"status":"failed","result":{"status":503},"error":"HTTP 503"}`, ""},
		{"failed without a message gets one", Result{Status: StatusFailed}, `{"status":"failed","error":"` + defaultFailedMessage + `"}`, ""},
		{"unknown status is refused", Result{Status: "ok"}, "", `result status "ok"`},
		{"unencodable value is refused", Succeeded(func() {}), "", "encode result value as JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.res.Encode()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDecodeOutput(t *testing.T) {
	tests := []struct {
		name, output string
		wantStatus   Status
		wantErr      string
	}{
		{"status defaults to succeeded", `{"result":1}`, StatusSucceeded, ""},
		{"failed with error", `{"status":"failed","error":"boom"}`, StatusFailed, ""},
		{"failed without error", `{"status":"failed"}`, "", "no error message"},
		{"unknown status", `{"status":"done"}`, "", `status "done"`},
		{"not JSON", `hello`, "", "execute output is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := DecodeOutput([]byte(tt.output))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", out.Status, tt.wantStatus)
			}
		})
	}
}

func TestDescriptionEncode(t *testing.T) {
	if _, err := (Description{}).Encode(); err == nil {
		t.Error("a description without a name encoded")
	}
	got, err := Description{Name: "x", ConfigSchema: map[string]any{"type": "object"}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"x","config_schema":{"type":"object"}}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
