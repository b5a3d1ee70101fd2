// A small blocking HTTP client over one libcurl easy handle: POST a JSON body, get the status,
// the headers and the body back. Transport failures (refused or dropped connections, timeouts,
// DNS) are values in HttpResponse, never exceptions, so a retry policy can decide about them.
//
// Invariants: one HttpClient is used by one thread at a time (it keeps its connection open between
// requests); header names in HttpResponse are lower-case; request headers are never logged or
// returned (they may hold an API key).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aimicius {

// The most of a response body kept: an answer of max_tokens tokens is kilobytes; a server sending
// more is misbehaving, and the transfer stops there instead of filling memory and the database.
inline constexpr size_t kMaxResponseBytes = size_t{16} << 20;

struct HttpResponse {
  long status = 0;                             // 0 when no HTTP response came back
  std::map<std::string, std::string> headers;  // lower-case names; the last value of a repeated one
  std::string body;
  std::string transport_error;                 // non-empty when the request did not complete
  bool timed_out = false;
  bool too_large = false;  // the body passed kMaxResponseBytes: the transfer was stopped there

  bool completed() const { return transport_error.empty(); }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` as application/json with the extra `headers` ("Name: value"); the whole
  // request (connect, send, receive) may take at most `timeout_ms`.
  HttpResponse post_json(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                         long timeout_ms);

 private:
  void* curl_;  // CURL*, kept opaque so that users need no libcurl headers
};

}  // namespace aimicius
