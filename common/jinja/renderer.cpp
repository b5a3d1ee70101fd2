// Statements and expressions evaluated as jinja2 evaluates them (see renderer.h, template.h).
#include "common/jinja/renderer.h"

#include <cmath>
#include <limits>
#include <optional>

#include "common/jinja/lexer.h"
#include "common/jinja/parser.h"
#include "common/utf8.h"

namespace aimicius::jinja {

namespace {

std::string undefined_message(const Value& v) {
  return v.as_string().empty() ? "an undefined value was used" : v.as_string();
}

bool is_int_like(const Value& v) { return v.kind() == Value::Kind::kInt || v.kind() == Value::Kind::kBool; }

}  // namespace

std::u32string code_points(const std::string& text) { return decode_utf8(text); }

std::vector<Value> iterate(Renderer& r, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList: return value.items();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& entry : value.entries()) keys.push_back(Value::string(entry.first));
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      for (const char32_t c : code_points(value.as_string())) {
        std::string one;
        append_utf8(c, one);
        chars.push_back(Value::string(std::move(one)));
      }
      return chars;
    }
    default: r.fail("'" + value.type_name() + "' object is not iterable");
  }
}

Renderer::Renderer(const std::string& template_name, const RenderOptions& options, ValueDict globals)
    : name_(template_name), options_(options) {
  scopes_.emplace_back();
  for (auto& [key, value] : globals) scopes_[0][key] = std::move(value);
}

void Renderer::fail(const std::string& what) const {
  throw TemplateError("template " + name_ + ", line " + std::to_string(line_) + ": " + what);
}

void Renderer::count_iterations(std::size_t n) {
  iterations_ += static_cast<int64_t>(n);
  if (iterations_ > options_.limits.max_loop_iterations) {
    fail("more than " + std::to_string(options_.limits.max_loop_iterations) + " loop iterations");
  }
}

void Renderer::check_size(std::size_t bytes) const {
  if (bytes > options_.limits.max_output_bytes) {
    fail("output or value larger than " + std::to_string(options_.limits.max_output_bytes) + " bytes");
  }
}

void Renderer::charge_work(std::size_t bytes) {
  work_ += bytes;
  if (work_ > options_.limits.max_work_bytes) {
    fail("more than " + std::to_string(options_.limits.max_work_bytes) + " bytes of text and lists built");
  }
}

void Renderer::append(std::string& out, const std::string& text) {
  check_size(out.size() + text.size());
  charge_work(text.size());
  out += text;
}

std::string Renderer::render(const Body& body) {
  std::string out;
  try {
    exec(body, out);
  } catch (const ValueError& error) {
    fail(error.what());
  }
  return out;
}

Value Renderer::lookup(const std::string& name) const {
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
    const auto found = scope->find(name);
    if (found != scope->end()) return found->second;
  }
  return Value::undefined("'" + name + "' is undefined");
}

void Renderer::assign(const std::string& name, Value value) { scopes_.back()[name] = std::move(value); }

Value Renderer::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) fail(undefined_message(callee));
  if (callee.kind() != Value::Kind::kFunction) fail("'" + callee.type_name() + "' object is not callable");
  return callee.as_function()(*this, args);
}

Renderer::Flow Renderer::exec(const Body& body, std::string& out) {
  for (const StmtPtr& stmt_ptr : body) {
    const Stmt& stmt = *stmt_ptr;
    line_ = stmt.line;
    switch (stmt.kind) {
      case Stmt::Kind::kText: append(out, stmt.text); break;
      case Stmt::Kind::kOutput: append(out, to_str(eval(*stmt.expr))); break;
      case Stmt::Kind::kIf: {
        const Body* chosen = &stmt.else_body;
        for (std::size_t i = 0; i < stmt.conditions.size(); ++i) {
          if (eval(*stmt.conditions[i]).truthy()) {
            chosen = &stmt.bodies[i];
            break;
          }
        }
        const Flow flow = exec(*chosen, out);
        if (flow != Flow::kNormal) return flow;
        break;
      }
      case Stmt::Kind::kFor: exec_for(stmt, out); break;
      case Stmt::Kind::kSet: exec_set(stmt); break;
      case Stmt::Kind::kSetBlock: {
        std::string captured;
        exec(stmt.bodies[0], captured);
        charge_work(captured.size());
        assign(stmt.targets[0], Value::string(std::move(captured)));
        break;
      }
      case Stmt::Kind::kMacro: assign(stmt.text, make_macro(stmt)); break;
      case Stmt::Kind::kBreak: return Flow::kBreak;
      case Stmt::Kind::kContinue: return Flow::kContinue;
      case Stmt::Kind::kScope: {
        const Flow flow = exec(stmt.bodies[0], out);
        if (flow != Flow::kNormal) return flow;
        break;
      }
    }
  }
  return Flow::kNormal;
}

Renderer::Flow Renderer::exec_for(const Stmt& stmt, std::string& out) {
  const Value iterable = eval(*stmt.expr);
  std::vector<Value> all = iterate(*this, iterable);
  count_iterations(all.size());
  auto bind = [&](const Value& item) {
    if (stmt.targets.size() == 1) {
      assign(stmt.targets[0], item);
      return;
    }
    const std::vector<Value> parts = iterate(*this, item);
    if (parts.size() != stmt.targets.size()) {
      fail("cannot unpack " + std::to_string(parts.size()) + " values into " + std::to_string(stmt.targets.size()) +
           " loop variables");
    }
    for (std::size_t k = 0; k < parts.size(); ++k) assign(stmt.targets[k], parts[k]);
  };
  std::vector<Value> items;
  if (stmt.filter) {
    for (const Value& item : all) {
      scopes_.emplace_back();
      bind(item);
      const bool keep = eval(*stmt.filter).truthy();
      scopes_.pop_back();
      if (keep) items.push_back(item);
    }
  } else {
    items = std::move(all);
  }
  if (items.empty()) {
    exec(stmt.else_body, out);
    return Flow::kNormal;
  }
  const int64_t length = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < length; ++i) {
    scopes_.emplace_back();
    bind(items[static_cast<std::size_t>(i)]);
    ValueDict loop = {
        {"index0", Value::integer(i)},
        {"index", Value::integer(i + 1)},
        {"revindex0", Value::integer(length - i - 1)},
        {"revindex", Value::integer(length - i)},
        {"first", Value::boolean(i == 0)},
        {"last", Value::boolean(i == length - 1)},
        {"length", Value::integer(length)},
        {"depth", Value::integer(1)},
        {"depth0", Value::integer(0)},
        {"previtem", i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value::undefined("there is no previous item")},
        {"nextitem", i + 1 < length ? items[static_cast<std::size_t>(i + 1)] : Value::undefined("there is no next item")},
        {"cycle", Value::function("loop.cycle", [i](Renderer& r, CallArgs& args) {
           if (args.positional.empty()) r.fail("no items for cycling given");
           return args.positional[static_cast<std::size_t>(i) % args.positional.size()];
         })},
    };
    assign("loop", Value::dict(std::move(loop)));
    const Flow flow = exec(stmt.bodies[0], out);
    scopes_.pop_back();
    if (flow == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

Renderer::~Renderer() {
  for (const Value& ns : assigned_namespaces_) {
    // Swapped out first: destroying the entries may free other namespaces, never this one (this
    // list holds it), so its vector is not being changed while its old elements go.
    ValueDict doomed;
    doomed.swap(ns.namespace_entries());
  }
}

void Renderer::exec_set(const Stmt& stmt) {
  Value value = eval(*stmt.expr);
  line_ = stmt.line;
  if (!stmt.attribute.empty()) {
    const Value target = lookup(stmt.targets[0]);
    if (target.kind() != Value::Kind::kNamespace) fail("cannot assign attribute on non-namespace object");
    ValueDict& entries = target.namespace_entries();
    if (assigned_entries_.insert(&entries).second) assigned_namespaces_.push_back(target);
    for (auto& entry : entries) {
      if (entry.first == stmt.attribute) {
        entry.second = std::move(value);
        return;
      }
    }
    entries.emplace_back(stmt.attribute, std::move(value));
    return;
  }
  if (stmt.targets.size() == 1) {
    assign(stmt.targets[0], std::move(value));
    return;
  }
  const std::vector<Value> parts = iterate(*this, value);
  if (parts.size() != stmt.targets.size()) fail("cannot unpack " + std::to_string(parts.size()) + " values in a set");
  for (std::size_t k = 0; k < parts.size(); ++k) assign(stmt.targets[k], parts[k]);
}

Value Renderer::make_macro(const Stmt& stmt) {
  const Stmt* macro = &stmt;
  return Value::function(stmt.text, [macro](Renderer& r, CallArgs& args) -> Value {
    if (r.call_depth_ >= r.options_.limits.max_call_depth) {
      r.fail("macro calls nested deeper than " + std::to_string(r.options_.limits.max_call_depth));
    }
    if (args.positional.size() > macro->params.size()) r.fail("macro '" + macro->text + "' takes fewer arguments");
    std::unordered_map<std::string, Value> frame;
    for (std::size_t k = 0; k < args.positional.size(); ++k) frame[macro->params[k].first] = args.positional[k];
    for (auto& [key, value] : args.keyword) {
      bool known = false;
      for (const auto& param : macro->params) known = known || param.first == key;
      if (!known) r.fail("macro '" + macro->text + "' has no argument '" + key + "'");
      frame[key] = value;
    }
    std::vector<std::unordered_map<std::string, Value>> saved = std::move(r.scopes_);
    r.scopes_ = {saved[0], std::move(frame)};
    const int saved_line = r.line_;
    ++r.call_depth_;
    std::string out;
    try {
      for (const auto& [param, default_value] : macro->params) {
        if (r.scopes_[1].count(param)) continue;
        r.scopes_[1][param] = default_value ? r.eval(*default_value) : Value::undefined("'" + param + "' is undefined");
      }
      r.exec(macro->bodies[0], out);
    } catch (...) {
      --r.call_depth_;
      r.scopes_ = std::move(saved);
      throw;
    }
    --r.call_depth_;
    r.scopes_ = std::move(saved);
    r.line_ = saved_line;
    r.charge_work(out.size());
    return Value::string(std::move(out));
  });
}

bool Renderer::contains(const Value& container, const Value& needle) {
  switch (container.kind()) {
    case Value::Kind::kUndefined: return false;
    case Value::Kind::kString:
      if (!needle.is_string()) fail("'in <string>' requires string as left operand, not " + needle.type_name());
      return container.as_string().find(needle.as_string()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& item : container.items()) {
        if (values_equal(item, needle)) return true;
      }
      return false;
    case Value::Kind::kDict:
    case Value::Kind::kNamespace:
      if (needle.is_list() || needle.is_dict()) fail("unhashable type: '" + needle.type_name() + "'");
      return needle.is_string() && container.find(needle.as_string()) != nullptr;
    default: fail("argument of type '" + container.type_name() + "' is not iterable");
  }
}

Value Renderer::eval_binary(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string joined = to_str(a) + to_str(b);
    check_size(joined.size());
    charge_work(joined.size());
    return Value::string(std::move(joined));
  }
  if (a.is_undefined()) fail(undefined_message(a));
  if (b.is_undefined()) fail(undefined_message(b));
  const bool ints = is_int_like(a) && is_int_like(b);
  const bool numbers = a.is_number() && b.is_number();
  auto unsupported = [&]() {
    fail("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
  };
  if (op == "+") {
    if (ints) {
      int64_t r;
      if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) fail("integer overflow");
      return Value::integer(r);
    }
    if (numbers) return Value::number(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) {
      check_size(a.as_string().size() + b.as_string().size());
      charge_work(a.as_string().size() + b.as_string().size());
      return Value::string(a.as_string() + b.as_string());
    }
    if (a.is_list() && b.is_list()) {
      ValueList joined = a.items();
      check_size(joined.size() + b.items().size());
      charge_work(16 * (joined.size() + b.items().size()));
      joined.insert(joined.end(), b.items().begin(), b.items().end());
      return Value::list(std::move(joined), a.is_tuple());
    }
    unsupported();
  }
  if (op == "-") {
    if (ints) {
      int64_t r;
      if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) fail("integer overflow");
      return Value::integer(r);
    }
    if (numbers) return Value::number(a.as_double() - b.as_double());
    unsupported();
  }
  if (op == "*") {
    if (ints) {
      int64_t r;
      if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) fail("integer overflow");
      return Value::integer(r);
    }
    if (numbers) return Value::number(a.as_double() * b.as_double());
    const Value* seq = a.is_string() || a.is_list() ? &a : &b;
    const Value* count = seq == &a ? &b : &a;
    if ((seq->is_string() || seq->is_list()) && is_int_like(*count)) {
      const int64_t n = std::max<int64_t>(0, count->as_int());
      const std::size_t unit = seq->is_string() ? seq->as_string().size() : seq->items().size();
      if (unit != 0 && static_cast<uint64_t>(n) > options_.limits.max_output_bytes / unit) check_size(SIZE_MAX);
      charge_work(static_cast<std::size_t>(n) * unit * (seq->is_string() ? 1 : 16));
      if (seq->is_string()) {
        std::string out;
        for (int64_t k = 0; k < n; ++k) out += seq->as_string();
        return Value::string(std::move(out));
      }
      ValueList out;
      for (int64_t k = 0; k < n; ++k) out.insert(out.end(), seq->items().begin(), seq->items().end());
      return Value::list(std::move(out));
    }
    unsupported();
  }
  if (!numbers) {
    if (op == "%" && a.is_string()) fail("printf-style string formatting ('%') is not supported");
    unsupported();
  }
  if (op == "/") {
    if (b.as_double() == 0) fail("division by zero");
    return Value::number(a.as_double() / b.as_double());
  }
  if (op == "//" || op == "%") {
    if (ints) {
      const int64_t x = a.as_int(), y = b.as_int();
      if (y == 0) fail("integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) fail("integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value::integer(op == "//" ? q : m);
    }
    const double x = a.as_double(), y = b.as_double();
    if (y == 0) fail("float division or modulo by zero");
    if (op == "//") return Value::number(std::floor(x / y));
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    return Value::number(m);
  }
  if (op == "**") {
    if (ints && b.as_int() >= 0) {
      int64_t r = 1;
      for (int64_t k = 0; k < b.as_int(); ++k) {
        if (__builtin_mul_overflow(r, a.as_int(), &r)) fail("integer overflow");
        if (r == 0 || r == 1) break;
      }
      return Value::integer(r);
    }
    return Value::number(std::pow(a.as_double(), b.as_double()));
  }
  unsupported();
  return {};
}

Value Renderer::slice(const Value& object, const Expr& expr) {
  auto bound = [&](const ExprPtr& e) -> std::optional<int64_t> {
    if (!e) return std::nullopt;
    const Value v = eval(*e);
    if (v.is_none()) return std::nullopt;
    if (!is_int_like(v)) fail("slice indices must be integers or None");
    return v.as_int();
  };
  const std::optional<int64_t> start = bound(expr.args[1]), stop = bound(expr.args[2]), step_given = bound(expr.args[3]);
  const int64_t step = step_given.value_or(1);
  if (step == 0) fail("slice step cannot be zero");
  std::vector<Value> parts;
  std::u32string text;
  int64_t n;
  if (object.is_string()) {
    text = code_points(object.as_string());
    n = static_cast<int64_t>(text.size());
  } else if (object.is_list() && !object.is_generator()) {
    n = static_cast<int64_t>(object.items().size());
  } else if (object.is_undefined()) {
    fail(undefined_message(object));
  } else if (object.is_dict()) {
    fail("unhashable type: 'slice'");
  } else {
    return Value::undefined("'" + object.type_name() + "' object is not subscriptable");  // jinja2's getitem
  }
  auto clamp = [&](std::optional<int64_t> v, int64_t lo_default, int64_t hi_default) {
    if (!v) return step > 0 ? lo_default : hi_default;
    int64_t x = *v < 0 ? *v + n : *v;
    if (step > 0) return std::clamp<int64_t>(x, 0, n);
    return std::clamp<int64_t>(x, -1, n - 1);
  };
  const int64_t from = clamp(start, 0, n - 1);
  const int64_t to = clamp(stop, n, -1);
  std::vector<int64_t> indexes;
  for (int64_t k = from; step > 0 ? k < to : k > to; k += step) indexes.push_back(k);
  if (object.is_string()) {
    std::string out;
    for (const int64_t k : indexes) append_utf8(text[static_cast<std::size_t>(k)], out);
    return Value::string(std::move(out));
  }
  ValueList out;
  for (const int64_t k : indexes) out.push_back(object.items()[static_cast<std::size_t>(k)]);
  return Value::list(std::move(out), object.is_tuple());
}

Value Renderer::eval(const Expr& e) {
  line_ = e.line;
  switch (e.kind) {
    case Expr::Kind::kLiteral: return e.literal;
    case Expr::Kind::kName: return lookup(e.name);
    case Expr::Kind::kList: {
      ValueList items;
      for (const ExprPtr& arg : e.args) items.push_back(eval(*arg));
      return Value::list(std::move(items), e.is_tuple);
    }
    case Expr::Kind::kDict: {
      ValueDict entries;
      for (std::size_t k = 0; k + 1 < e.args.size(); k += 2) {
        const Value key = eval(*e.args[k]);
        if (!key.is_string()) fail("dict keys must be strings here, not " + key.type_name());
        Value value = eval(*e.args[k + 1]);
        bool replaced = false;
        for (auto& entry : entries) {
          if (entry.first == key.as_string()) {
            entry.second = value;
            replaced = true;
          }
        }
        if (!replaced) entries.emplace_back(key.as_string(), std::move(value));
      }
      return Value::dict(std::move(entries));
    }
    case Expr::Kind::kAttribute: {
      const Value object = eval(*e.args[0]);
      line_ = e.line;
      if (object.is_undefined()) fail(undefined_message(object));
      return attribute(object, e.name);
    }
    case Expr::Kind::kItem: {
      const Value object = eval(*e.args[0]);
      const Value key = eval(*e.args[1]);
      line_ = e.line;
      if (object.is_undefined()) fail(undefined_message(object));
      return item(object, key);
    }
    case Expr::Kind::kSlice: {
      const Value object = eval(*e.args[0]);
      return slice(object, e);
    }
    case Expr::Kind::kCall:
    case Expr::Kind::kFilter:
    case Expr::Kind::kTest: {
      const Value subject = eval(*e.args[0]);
      CallArgs args;
      for (std::size_t k = 1; k < e.args.size(); ++k) args.positional.push_back(eval(*e.args[k]));
      for (const auto& [key, value] : e.keywords) args.keyword.emplace_back(key, eval(*value));
      line_ = e.line;
      if (e.kind == Expr::Kind::kCall) return call(subject, args);
      if (e.kind == Expr::Kind::kFilter) return filter(e.name, subject, args);
      return Value::boolean(test(e.name, subject, args) != e.negated);
    }
    case Expr::Kind::kUnary: {
      const Value v = eval(*e.args[0]);
      line_ = e.line;
      if (e.name == "not") return Value::boolean(!v.truthy());
      if (v.is_undefined()) fail(undefined_message(v));
      if (!v.is_number()) fail("bad operand type for unary " + e.name + ": '" + v.type_name() + "'");
      if (e.name == "+") return v.kind() == Value::Kind::kBool ? Value::integer(v.as_int()) : v;
      if (v.kind() == Value::Kind::kFloat) return Value::number(-v.as_double());
      if (v.as_int() == std::numeric_limits<int64_t>::min()) fail("integer overflow");
      return Value::integer(-v.as_int());
    }
    case Expr::Kind::kBinary: {
      const Value a = eval(*e.args[0]);
      const Value b = eval(*e.args[1]);
      line_ = e.line;
      return eval_binary(e.name, a, b);
    }
    case Expr::Kind::kCompare: {
      Value left = eval(*e.args[0]);
      for (std::size_t k = 0; k < e.ops.size(); ++k) {
        Value right = eval(*e.args[k + 1]);
        line_ = e.line;
        const std::string& op = e.ops[k];
        bool result;
        if (op == "==") result = values_equal(left, right);
        else if (op == "!=") result = !values_equal(left, right);
        else if (op == "in") result = contains(right, left);
        else if (op == "notin") result = !contains(right, left);
        else {
          if (left.is_undefined()) fail(undefined_message(left));
          if (right.is_undefined()) fail(undefined_message(right));
          try {
            if (op == "<") result = value_less(left, right);
            else if (op == ">") result = value_less(right, left);
            else if (op == "<=") result = !value_less(right, left);
            else result = !value_less(left, right);
          } catch (const ValueError& error) {
            fail(error.what());
          }
        }
        if (!result) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case Expr::Kind::kAnd: {
      Value left = eval(*e.args[0]);
      return left.truthy() ? eval(*e.args[1]) : left;
    }
    case Expr::Kind::kOr: {
      Value left = eval(*e.args[0]);
      return left.truthy() ? left : eval(*e.args[1]);
    }
    case Expr::Kind::kConditional: {
      if (eval(*e.args[1]).truthy()) return eval(*e.args[0]);
      return e.args[2] ? eval(*e.args[2]) : Value::undefined("the condition of an if expression was false");
    }
  }
  fail("unknown expression");
}

Template::Template(const std::string& source, std::string name) : name_(std::move(name)) {
  body_ = parse(tokenize(source, name_), name_);
}

std::string Template::render(const ValueDict& variables, const RenderOptions& options) const {
  ValueDict globals = Renderer::builtin_globals();
  for (const auto& entry : variables) globals.push_back(entry);  // later entries win
  Renderer renderer(name_, options, std::move(globals));
  return renderer.render(body_);
}

namespace {

template <typename Json>
Value json_to_value(const Json& json, int depth) {
  if (depth > kMaxValueDepth) throw TemplateError("template variables nested deeper than " + std::to_string(kMaxValueDepth));
  switch (json.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(json.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(json.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = json.template get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::number(json.template get<double>());
    case nlohmann::json::value_t::string: return Value::string(json.template get<std::string>());
    case nlohmann::json::value_t::array: {
      ValueList items;
      for (const auto& item : json) items.push_back(json_to_value(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      ValueDict entries;
      for (auto it = json.begin(); it != json.end(); ++it) entries.emplace_back(it.key(), json_to_value(it.value(), depth + 1));
      return Value::dict(std::move(entries));
    }
    default: throw TemplateError("a template variable is not JSON data");
  }
}

}  // namespace

Value from_json(const nlohmann::ordered_json& json) { return json_to_value(json, 0); }
Value from_json(const nlohmann::json& json) { return json_to_value(json, 0); }

}  // namespace aimicius::jinja
