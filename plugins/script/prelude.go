package main

import (
	"sync"

	"github.com/dop251/goja"
)

// preludeSource builds fetch and its Response and Headers on the native
// functions of __kronos, which it then removes from the global scope.
const preludeSource = `(function (native) {
  "use strict";
  class Headers {
    constructor(h) {
      this._h = {};
      for (const k of Object.keys(h || {})) this._h[k.toLowerCase()] = String(h[k]);
    }
    get(name) { const v = this._h[String(name).toLowerCase()]; return v === undefined ? null : v; }
    has(name) { return Object.prototype.hasOwnProperty.call(this._h, String(name).toLowerCase()); }
    forEach(fn, self) { for (const k of Object.keys(this._h)) fn.call(self, this._h[k], k, this); }
    entries() { return Object.entries(this._h)[Symbol.iterator](); }
    keys() { return Object.keys(this._h)[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toJSON() { return this._h; }
  }
  class Response {
    constructor(r) {
      this.status = r.status;
      this.ok = r.status >= 200 && r.status < 300;
      this.url = r.url;
      this.truncated = r.truncated;
      this.headers = new Headers(r.headers);
      this._body = r.body;
    }
    text() { return Promise.resolve(this._body); }
    json() {
      try { return Promise.resolve(JSON.parse(this._body)); } catch (e) { return Promise.reject(e); }
    }
  }
  const fetch = function fetch(url, init) {
    try {
      const r = native.fetch(String(url), init === undefined || init === null ? {} : init);
      if (r.error) {
        const e = new TypeError("fetch " + r.target + ": " + r.error.kind + ": " + r.error.message);
        e.kind = r.error.kind;
        return Promise.reject(e);
      }
      return Promise.resolve(new Response(r));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  Object.defineProperty(globalThis, "fetch", {value: fetch, writable: true, configurable: true});
  Object.defineProperty(globalThis, "Headers", {value: Headers, writable: true, configurable: true});
  Object.defineProperty(globalThis, "Response", {value: Response, writable: true, configurable: true});
})`

// prelude is preludeSource compiled once.
var prelude = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("prelude.js", preludeSource, true)
})
