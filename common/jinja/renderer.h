// The tree-walking renderer behind Template::render, and the builtins it calls (builtins.cpp).
// Internal to common/jinja/. Invariants: scopes_[0] holds the globals and the template's top-level
// sets; a for-loop iteration pushes one scope and pops it; a macro call sees scopes_[0] and its own
// scope only. Every error goes through fail(), which names the template and the current line.
// Values do not outlive a render: when the Renderer goes, every namespace the template assigned
// an attribute of is emptied (values are shared_ptr-counted, and `{% set ns.a = ns %}`, or any
// cycle, which must pass through such an assignment, would otherwise never be freed).
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/jinja/ast.h"
#include "common/jinja/template.h"
#include "common/jinja/value.h"

namespace aimicius::jinja {

class Renderer {
 public:
  Renderer(const std::string& template_name, const RenderOptions& options, ValueDict globals);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  std::string render(const Body& body);

  [[noreturn]] void fail(const std::string& what) const;
  const RenderOptions& options() const { return options_; }
  void count_iterations(std::size_t n);
  void check_size(std::size_t bytes) const;
  void charge_work(std::size_t bytes);  // RenderLimits::max_work_bytes
  Value call(const Value& callee, CallArgs& args);

  // Builtins (builtins.cpp).
  Value filter(const std::string& name, const Value& subject, CallArgs& args);
  bool test(const std::string& name, const Value& subject, CallArgs& args);
  Value attribute(const Value& object, const std::string& name);
  Value item(const Value& object, const Value& key);
  static ValueDict builtin_globals();

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  Flow exec(const Body& body, std::string& out);
  Flow exec_for(const Stmt& stmt, std::string& out);
  void exec_set(const Stmt& stmt);
  Value eval(const Expr& expr);
  Value eval_binary(const std::string& op, const Value& a, const Value& b);
  bool contains(const Value& container, const Value& needle);
  Value slice(const Value& object, const Expr& expr);
  Value make_macro(const Stmt& stmt);
  Value lookup(const std::string& name) const;
  void assign(const std::string& name, Value value);
  void append(std::string& out, const std::string& text);

  const std::string& name_;
  const RenderOptions& options_;
  std::vector<std::unordered_map<std::string, Value>> scopes_;
  int line_ = 0;
  int call_depth_ = 0;
  int64_t iterations_ = 0;
  std::size_t work_ = 0;
  std::vector<Value> assigned_namespaces_;  // each once: emptied by ~Renderer (see the top)
  std::unordered_set<const ValueDict*> assigned_entries_;  // their entries, to keep them once
};

// Helpers the builtins share with the renderer.
std::vector<Value> iterate(Renderer& r, const Value& value);  // list items, dict keys, string characters
std::u32string code_points(const std::string& text);

}  // namespace aimicius::jinja
