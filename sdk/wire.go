package sdk

import (
	"errors"
	"time"
)

// rawHost is the Kronos host module at the ABI level: log takes text, and
// call sends a JSON request to a function and returns its JSON response
// (nil when the host returned none). The wasip1 build implements it with
// the imported functions; tests fake it.
type rawHost interface {
	log(level Level, msg string)
	call(fn string, req []byte) []byte
}

// wireHost implements Host over a rawHost, encoding the JSON documents of
// the contract.
type wireHost struct {
	raw rawHost
}

var errNoResponse = errors.New("the host returned no response")

func (w wireHost) Log(level Level, msg string) { w.raw.log(level, msg) }

func (w wireHost) HTTP(req HTTPRequest) (HTTPResponse, error) {
	doc, err := encodeHTTPRequest(req)
	if err != nil {
		return HTTPResponse{}, &HTTPError{Kind: HTTPErrorInvalidRequest, Message: "encode the request: " + err.Error()}
	}
	resp := w.raw.call(hostFuncHTTP, doc)
	if resp == nil {
		return HTTPResponse{}, &HTTPError{Kind: HTTPErrorOther, Message: errNoResponse.Error()}
	}
	return decodeHTTPResponse(resp)
}

func (w wireHost) MQPublish(m MQMessage) (MQReceipt, error) {
	doc, err := encodeMQPublish(m)
	if err != nil {
		return MQReceipt{}, &MQError{Kind: MQErrorInvalidRequest, Message: "encode the message: " + err.Error()}
	}
	resp := w.raw.call(hostFuncMQ, doc)
	if resp == nil {
		return MQReceipt{}, &MQError{Kind: MQErrorOther, Message: errNoResponse.Error()}
	}
	return decodeMQPublishResponse(resp)
}

func (w wireHost) KVGet(key string) ([]byte, bool, error) {
	return w.kv(hostFuncKVGet, key, nil, 0)
}

func (w wireHost) KVSet(key string, value []byte, ttl time.Duration) error {
	if value == nil {
		value = []byte{}
	}
	_, _, err := w.kv(hostFuncKVSet, key, value, ttl)
	return err
}

func (w wireHost) KVDelete(key string) error {
	_, _, err := w.kv(hostFuncKVDelete, key, nil, 0)
	return err
}

func (w wireHost) kv(fn, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	doc, err := encodeKVRequest(key, value, ttl)
	if err != nil {
		return nil, false, err
	}
	resp := w.raw.call(fn, doc)
	if resp == nil {
		return nil, false, errNoResponse
	}
	return decodeKVResponse(resp)
}
