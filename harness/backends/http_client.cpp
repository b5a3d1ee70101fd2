#include "harness/backends/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius {
namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<HttpResponse*>(user);
  if (out->body.size() + size * count > kMaxResponseBytes) {
    out->too_large = true;
    return 0;  // libcurl stops the transfer (CURLE_WRITE_ERROR)
  }
  out->body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  const std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon == std::string::npos) {
    // A status line starts a new header block (e.g. after a redirect or 100-continue).
    if (line.rfind("HTTP/", 0) == 0) headers->clear();
    return size * count;
  }
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t\r\n");
  (*headers)[name] = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  return size * count;
}

}  // namespace

HttpClient::HttpClient() : curl_(nullptr) {
  // curl_global_init is reference-counted and thread-safe in libcurl >= 7.84; it is balanced in
  // the destructor, so no process-wide setup is left to main().
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("libcurl: global init failed");
  curl_ = curl_easy_init();
  if (!curl_) {
    curl_global_cleanup();
    throw std::runtime_error("libcurl: cannot create a handle");
  }
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_global_cleanup();
}

HttpResponse HttpClient::post_json(const std::string& url, const std::string& body,
                                   const std::vector<std::string>& headers, long timeout_ms) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpResponse out;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for large prompts
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());

  curl_easy_reset(curl);  // keeps the open connection and caches; clears the previous request's options
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 30000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in threads
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out.headers);

  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    out.transport_error = out.too_large ? fmt::format("the response passed the {} MiB a response may have",
                                                      kMaxResponseBytes >> 20)
                                        : curl_easy_strerror(rc);
    out.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    out.status = 0;
    return out;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

}  // namespace aimicius
