package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/core"
)

// LogsSince passes the engine's live lines on, when it has them.
func (s *spy) LogsSince(id string, seq int64) ([]core.LogLine, <-chan struct{}, bool) {
	if f, ok := s.Scheduler.(api.LogFollower); ok {
		return f.LogsSince(id, seq)
	}
	return nil, nil, false
}

type event struct {
	name string
	data map[string]any
}

// follow opens the log stream of an execution and returns its events, one
// by one, on a channel closed at the end of the stream.
func (f *fixture) follow(t *testing.T, id, query string) <-chan event {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.url+"/executions/"+id+"/logs/follow"+query, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := http.DefaultClient.Do(req) //nolint:bodyclose // the reading goroutine closes it
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	out := make(chan event, 100)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			case line == "" && ev.name != "":
				out <- ev
				ev = event{}
			}
		}
	}()
	return out
}

func next(t *testing.T, events <-chan event) event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended early")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event in 30 s")
	}
	return event{}
}

// A follower sees a running execution's line live, then its end.
func TestFollowLogsLive(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "long", "executor": "http", "config": map[string]any{"block": true}}).want(t, http.StatusCreated)
	id := f.do(http.MethodPost, "/tasks/long/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
	<-f.ex.started // it has logged its line
	events := f.follow(t, id, "")
	if ev := next(t, events); ev.name != "line" || ev.data["message"] != "ran long" || ev.data["seq"] != float64(1) {
		t.Fatalf("first event %+v", ev)
	}
	f.do(http.MethodPost, "/executions/"+id+"/cancel", nil).want(t, http.StatusAccepted)
	ev := next(t, events)
	if ev.name != "end" || ev.data["execution"].(map[string]any)["status"] != "canceled" {
		t.Fatalf("end event %+v", ev)
	}
	if _, open := <-events; open {
		t.Fatal("the stream did not close after end")
	}
}

// A finished execution streams its stored lines after the sequence asked
// for, then ends; an unknown one gives an error event.
func TestFollowLogsOfAFinishedExecution(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/tasks", map[string]any{"name": "quick", "executor": "http"}).want(t, http.StatusCreated)
	id := f.do(http.MethodPost, "/tasks/quick/trigger", nil).want(t, http.StatusAccepted).json(t)["id"].(string)
	waitFor(t, f, id, "succeeded")
	events := f.follow(t, id, "")
	if ev := next(t, events); ev.name != "line" || ev.data["message"] != "ran quick" {
		t.Fatalf("first event %+v", ev)
	}
	if ev := next(t, events); ev.name != "end" {
		t.Fatalf("second event %+v", ev)
	}
	events = f.follow(t, id, "?after=1")
	if ev := next(t, events); ev.name != "end" {
		t.Fatalf("after 1: %+v, want the end at once", ev)
	}
	events = f.follow(t, "00000000-0000-0000-0000-000000000000", "")
	if ev := next(t, events); ev.name != "error" || ev.data["status"] != float64(404) {
		t.Fatalf("unknown execution: %+v", ev)
	}
}
