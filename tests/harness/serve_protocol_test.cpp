// The OpenAI protocol of `aimicius serve` without a socket: every validation error's status,
// field and message, what valid requests turn into, and the JSON of responses and stream chunks.
#include <gtest/gtest.h>

#include "common/utf8.h"
#include "harness/serve/openai_protocol.h"

namespace aimicius::serve {
namespace {

using nlohmann::json;

ApiError error_of(Endpoint endpoint, const std::string& body) {
  try {
    parse_request(endpoint, body, "tiny");
  } catch (const ApiException& e) {
    return e.error();
  }
  ADD_FAILURE() << "no error for " << body;
  return {};
}

ApiError completion_error(const json& body) { return error_of(Endpoint::kCompletions, body.dump()); }
ApiError chat_error(const json& body) { return error_of(Endpoint::kChatCompletions, body.dump()); }

TEST(ServeProtocol, MalformedJsonIs400NamingTheByte) {
  const ApiError e = error_of(Endpoint::kCompletions, R"({"model": "tiny", "prompt": })");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_NE(e.message.find("at byte 29"), std::string::npos) << e.message;
  EXPECT_EQ(error_of(Endpoint::kCompletions, "").status, 400);
  const ApiError not_object = error_of(Endpoint::kCompletions, "[1, 2]");
  EXPECT_EQ(not_object.status, 400);
  EXPECT_NE(not_object.message.find("JSON object"), std::string::npos);
  // Issue 19, item 8: a number past double's range was a 500.
  const ApiError overflow = error_of(Endpoint::kCompletions, R"({"model": "tiny", "prompt": "x", "temperature": 1e999})");
  EXPECT_EQ(overflow.status, 400);
  EXPECT_EQ(overflow.code, "invalid_json");
}

TEST(ServeProtocol, ModelIsRequiredAndMustBeTheServedOne) {
  ApiError e = completion_error({{"prompt", "hi"}});
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.param, "model");
  EXPECT_NE(e.message.find("missing required field 'model'"), std::string::npos);
  e = completion_error({{"model", 3}, {"prompt", "hi"}});
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "'model' must be a string");
  e = completion_error({{"model", "gpt-4"}, {"prompt", "hi"}});
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "model_not_found");
  EXPECT_NE(e.message.find("'gpt-4' does not exist"), std::string::npos);
  EXPECT_NE(e.message.find("serves 'tiny'"), std::string::npos);
}

TEST(ServeProtocol, PromptFieldErrorsNameTheField) {
  struct Case {
    json prompt;
    std::string param, message;
  };
  const std::vector<Case> cases = {
      {5, "prompt", "'prompt' must be a string or an array of strings"},
      {json::array(), "prompt", "'prompt' must not be an empty array"},
      {json::array({1, 2, 3}), "prompt", "'prompt' as token ids is not supported by this server: send text"},
      {json::array({"a", 7}), "prompt[1]", "'prompt[1]' must be a string"},
      {"", "prompt", "a prompt must not be empty"},
      {json::array({"a", ""}), "prompt[1]", "a prompt must not be empty"},
  };
  for (const auto& c : cases) {
    const ApiError e = completion_error({{"model", "tiny"}, {"prompt", c.prompt}});
    EXPECT_EQ(e.status, 400) << c.prompt;
    EXPECT_EQ(e.param, c.param) << c.prompt;
    EXPECT_EQ(e.message, c.message) << c.prompt;
  }
  const ApiError missing = completion_error({{"model", "tiny"}});
  EXPECT_EQ(missing.param, "prompt");
  EXPECT_EQ(missing.message, "missing required field 'prompt'");
}

TEST(ServeProtocol, SamplingParameterErrors) {
  struct Case {
    std::string key;
    json value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"max_tokens", 0, "'max_tokens' must be between 1 and 32768, got 0"},
      {"max_tokens", "16", "'max_tokens' must be an integer"},
      {"max_tokens", 1.5, "'max_tokens' must be an integer"},
      {"temperature", 2.5, "'temperature' must be in [0, 2], got 2.5"},
      {"temperature", "hot", "'temperature' must be a number"},
      {"top_p", 0, "'top_p' must be in (0, 1], got 0"},
      {"n", 2, "only n=1 is supported by this server"},
      {"best_of", 3, "only best_of=1 is supported by this server"},
      {"stop", 4, "'stop' must be a string or an array of strings"},
      {"stop", json::array({"a", "b", "c", "d", "e"}), "'stop' holds at most 4 sequences, got 5"},
      {"stop", json::array({"a", 1}), "'stop[1]' must be a string"},
      {"seed", 1.5, "'seed' must be an integer"},
      {"stream", "yes", "'stream' must be a boolean"},
      {"logprobs", 5, "'logprobs' is not supported by this server"},
      {"echo", true, "'echo' is not supported by this server"},
      {"presence_penalty", 0.5, "'presence_penalty' is not supported by this server (only 0)"},
      {"logit_bias", json{{"50256", -100}}, "'logit_bias' is not supported by this server"},
      {"suffix", "x", "'suffix' is not supported by this server"},
  };
  for (const auto& c : cases) {
    json body = {{"model", "tiny"}, {"prompt", "hi"}};
    body[c.key] = c.value;
    const ApiError e = completion_error(body);
    EXPECT_EQ(e.status, 400) << c.key;
    const std::string want_param = c.message.rfind("'stop[1]'", 0) == 0 ? "stop[1]" : c.key;
    EXPECT_EQ(e.param, want_param) << c.key;
    EXPECT_EQ(e.message, c.message) << c.key;
    EXPECT_EQ(e.type, "invalid_request_error");
  }
  const ApiError opts = completion_error({{"model", "tiny"}, {"prompt", "hi"}, {"stream_options", {{"include_usage", true}}}});
  EXPECT_EQ(opts.param, "stream_options");
  EXPECT_EQ(opts.message, "'stream_options' is only allowed when 'stream' is true");
}

TEST(ServeProtocol, ChatMessageErrorsNameTheMessage) {
  struct Case {
    json messages;
    std::string param, message;
  };
  const std::vector<Case> cases = {
      {"hi", "messages", "'messages' must be an array"},
      {json::array(), "messages", "'messages' must not be empty"},
      {json::array({"hi"}), "messages[0]", "'messages[0]' must be an object"},
      {json::array({{{"content", "hi"}}}), "messages[0].role", "missing required field 'messages[0].role'"},
      {json::array({{{"role", "user"}, {"content", "a"}}, {{"role", "tool"}, {"content", "b"}}}), "messages[1].role",
       "'messages[1].role' must be system, user or assistant, got 'tool'"},
      {json::array({{{"role", "user"}}}), "messages[0].content", "missing required field 'messages[0].content'"},
      {json::array({{{"role", "user"}, {"content", 3}}}), "messages[0].content",
       "'messages[0].content' must be a string or an array of text parts"},
      {json::array({{{"role", "user"}, {"content", json::array({{{"type", "image_url"}}})}}}), "messages[0].content[0]",
       "'messages[0].content[0]' must be a text part {\"type\": \"text\", \"text\": ...}"},
  };
  for (const auto& c : cases) {
    const ApiError e = chat_error({{"model", "tiny"}, {"messages", c.messages}});
    EXPECT_EQ(e.status, 400) << c.messages;
    EXPECT_EQ(e.param, c.param) << c.messages;
    EXPECT_EQ(e.message, c.message) << c.messages;
  }
  EXPECT_EQ(chat_error({{"model", "tiny"}}).message, "missing required field 'messages'");
  const ApiError tools = chat_error({{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "x"}}}},
                                     {"tools", json::array()}});
  EXPECT_EQ(tools.param, "tools");
}

TEST(ServeProtocol, CompletionRequestBecomesPromptsAndParams) {
  const ParsedRequest r = parse_request(Endpoint::kCompletions,
                                        json{{"model", "tiny"},
                                             {"prompt", {"a", "b"}},
                                             {"max_tokens", 7},
                                             {"temperature", 0},
                                             {"top_p", 0.5},
                                             {"stop", {"\n", ""}},
                                             {"seed", -1},
                                             {"stream", true},
                                             {"stream_options", {{"include_usage", true}}},
                                             {"metadata", {{"suite", "cmdgen"}, {"example_id", "nv-1"}}},
                                             {"user", "ignored"},
                                             {"n", 1},
                                             {"logprobs", nullptr}}
                                            .dump(),
                                        "tiny");
  EXPECT_EQ(r.prompts, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.params.max_new_tokens, 7);
  EXPECT_EQ(r.params.temperature, 0.0);
  EXPECT_EQ(r.params.top_p, 0.5);
  EXPECT_EQ(r.params.stop, std::vector<std::string>{"\n"});  // empty stop strings dropped
  EXPECT_TRUE(r.seeded);
  EXPECT_EQ(r.params.seed, ~uint64_t{0});
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.suite, "cmdgen");
  EXPECT_EQ(r.example_id, "nv-1");

  const ParsedRequest d = parse_request(Endpoint::kCompletions, R"({"model": "tiny", "prompt": "x", "stop": "END"})", "tiny");
  EXPECT_EQ(d.params.max_new_tokens, 16);  // OpenAI's default for completions
  EXPECT_EQ(d.params.temperature, 1.0);
  EXPECT_EQ(d.params.stop, std::vector<std::string>{"END"});
  EXPECT_FALSE(d.seeded);
  EXPECT_FALSE(d.stream);
}

TEST(ServeProtocol, ChatRequestKeepsTurnsAndAPlainRendering) {
  const ParsedRequest r = parse_request(
      Endpoint::kChatCompletions,
      json{{"model", "tiny"},
           {"messages",
            {{{"role", "developer"}, {"content", "Be brief."}},
             {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "list "}}, {{"type", "text"}, {"text", "GPUs"}}})}}}},
           {"max_completion_tokens", 9}}
          .dump(),
      "tiny");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "list GPUs");
  EXPECT_EQ(r.prompts, std::vector<std::string>{"system: Be brief.\nuser: list GPUs\nassistant:"});
  EXPECT_EQ(r.params.max_new_tokens, 9);
  const ParsedRequest d = parse_request(Endpoint::kChatCompletions,
                                        R"({"model": "tiny", "messages": [{"role": "user", "content": "x"}]})", "tiny");
  EXPECT_EQ(d.params.max_new_tokens, RequestLimits{}.default_max_tokens_chat);
}

TEST(ServeProtocol, ResponsesHaveOpenAisShape) {
  GenerationResult a, b;
  a.output = "nvidia-smi -L";
  a.tokens_in = 5;
  a.tokens_out = 4;
  a.finish_reason = "stop";
  b.output = "x";
  b.tokens_in = 3;
  b.tokens_out = 16;
  b.finish_reason = "length";
  const json c = completion_response(Endpoint::kCompletions, "cmpl-1", 100, "tiny", {a, b});
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["id"], "cmpl-1");
  EXPECT_EQ(c["created"], 100);
  EXPECT_EQ(c["model"], "tiny");
  ASSERT_EQ(c["choices"].size(), 2u);
  EXPECT_EQ(c["choices"][0]["text"], "nvidia-smi -L");
  EXPECT_EQ(c["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(c["choices"][1]["index"], 1);
  EXPECT_EQ(c["choices"][1]["finish_reason"], "length");
  EXPECT_EQ(c["usage"], (json{{"prompt_tokens", 8}, {"completion_tokens", 20}, {"total_tokens", 28}}));

  const json chat = completion_response(Endpoint::kChatCompletions, "chatcmpl-1", 100, "tiny", {a});
  EXPECT_EQ(chat["object"], "chat.completion");
  EXPECT_EQ(chat["choices"][0]["message"], (json{{"role", "assistant"}, {"content", "nvidia-smi -L"}}));

  const json role = stream_chunk(Endpoint::kChatCompletions, "c", 1, "tiny", 0, "", "", true);
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["choices"][0]["delta"], (json{{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
  const json last = stream_chunk(Endpoint::kChatCompletions, "c", 1, "tiny", 0, "", "length");
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  const json text = stream_chunk(Endpoint::kCompletions, "c", 1, "tiny", 2, "ab", "");
  EXPECT_EQ(text["object"], "text_completion");
  EXPECT_EQ(text["choices"][0]["text"], "ab");
  EXPECT_EQ(text["choices"][0]["index"], 2);
  EXPECT_EQ(usage_chunk(Endpoint::kCompletions, "c", 1, "tiny", 2, 3)["usage"]["total_tokens"], 5);
  EXPECT_EQ(sse_event(json{{"a", 1}}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(models_response("tiny", 5)["data"][0]["id"], "tiny");

  const json err = json::parse(error_body({404, "no such model", "invalid_request_error", "model", "model_not_found"}));
  EXPECT_EQ(err, (json{{"error",
                        {{"message", "no such model"},
                         {"type", "invalid_request_error"},
                         {"param", "model"},
                         {"code", "model_not_found"}}}}));
  EXPECT_TRUE(json::parse(error_body({400, "bad", "invalid_request_error", "", ""}))["error"]["param"].is_null());
}

// A model's raw bytes are made valid UTF-8, and splitting a text at character boundaries (where
// the runtime streams) keeps the same result.
TEST(ServeProtocol, InvalidUtf8IsReplacedConsistentlyAcrossChunks) {
  const std::string raw = std::string("ok \xE2\x82\xAC \xC3") + "(" + "\xE2\x82" + "x\xFF";
  const std::string whole = valid_utf8(raw);
  EXPECT_EQ(whole, "ok \xE2\x82\xAC \xEF\xBF\xBD(\xEF\xBF\xBDx\xEF\xBF\xBD");
  for (size_t cut : {3, 7, 8, 9, 11, 12})
    EXPECT_EQ(valid_utf8(raw.substr(0, cut)) + valid_utf8(raw.substr(cut)), whole) << cut;
  // Inside an unfinished sequence (E2 | 82) it would not be: the runtime never streams such a cut.
  EXPECT_NE(valid_utf8(raw.substr(0, 10)) + valid_utf8(raw.substr(10)), whole);
  GenerationResult r;
  r.output = raw;
  EXPECT_NO_THROW(completion_response(Endpoint::kCompletions, "c", 1, "tiny", {r}).dump());
}

}  // namespace
}  // namespace aimicius::serve
