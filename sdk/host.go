package sdk

import "time"

// Host is what a Context uses to reach Kronos. Inside a plugin, Run
// connects it to the Kronos host functions; tests use a fake such as
// sdktest.Host.
type Host interface {
	// Log writes one log line of the execution.
	Log(level Level, msg string)
	// HTTP sends an HTTP request. A failed request returns an *HTTPError.
	HTTP(req HTTPRequest) (HTTPResponse, error)
	// KVGet returns the value of key in the namespace's key-value store,
	// and false when it is absent.
	KVGet(key string) (value []byte, found bool, err error)
	// KVSet stores value under key; a ttl of 0 keeps it until deleted.
	KVSet(key string, value []byte, ttl time.Duration) error
	// KVDelete removes key; an absent key is not an error.
	KVDelete(key string) error
	// MQPublish publishes a message on an MQ connection of the namespace.
	// A message that was not published returns an *MQError.
	MQPublish(m MQMessage) (MQReceipt, error)
}
