package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

func (s *server) registerSchedules(g huma.API) {
	huma.Register(g, huma.Operation{
		OperationID: "preview-schedule", Method: http.MethodGet, Path: "/schedules/preview", Tags: []string{"Schedules"},
		Summary:     "Check a schedule and preview its next fire times",
		Description: "Checks a schedule expression in a time zone, as a task would have it, and returns its next instants; a bad expression is a 422 that says what is wrong.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, func(_ context.Context, in *struct {
		Expr     string `query:"expr" required:"true" doc:"The schedule expression." example:"0 2 * * *"`
		TimeZone string `query:"timezone" doc:"IANA time zone; UTC when empty." example:"Europe/Berlin"`
		Count    int    `query:"count" default:"5" minimum:"1" maximum:"100" doc:"How many instants."`
	},
	) (*struct{ Body Preview }, error) {
		p, err := schedulePreview(in.Expr, in.TimeZone, in.Count)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Preview }{p}, nil
	})
}
