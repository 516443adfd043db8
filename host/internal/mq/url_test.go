package mq

import (
	"net/url"
	"testing"
)

func TestCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, url, user, pass string
		want, safe            string
	}{
		{"from the URL", "amqp://guest:guest@h:5672/", "", "", "amqp://guest:guest@h:5672/", "amqp://guest:xxxxx@h:5672/"},
		{"config wins", "amqp://guest:guest@h/", "kronos", "s3cret", "amqp://kronos:s3cret@h/", "amqp://kronos:xxxxx@h/"},
		{"config password only", "redis://app@h/0", "", "s3cret", "redis://app:s3cret@h/0", "redis://app:xxxxx@h/0"},
		{"none", "nats://h:4222", "", "", "nats://h:4222", "nats://h:4222"},
		{"user only", "mqtt://h:1883", "device", "", "mqtt://device@h:1883", "mqtt://device@h:1883"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			full, safe := userURL(ConnConfig{Username: tc.user, Password: tc.pass}, u)
			if full.String() != tc.want || safe != tc.safe {
				t.Errorf("got %s and %s, want %s and %s", full, safe, tc.want, tc.safe)
			}
		})
	}
}
