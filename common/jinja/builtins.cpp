// The tests, filters, attribute/method access and globals of the Jinja subset, each as jinja2's
// (and Python's str/dict methods) behave for the values of value.h. Case mapping is case_map.h's;
// whitespace for strip/split/trim is Python's str.isspace set.
// Names not listed here are a TemplateError, never an empty result.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/jinja/case_map.h"
#include "common/jinja/renderer.h"
#include "common/utf8.h"

namespace aimicius::jinja {

namespace {


std::string encode(const std::u32string& s) { return encode_utf8(s); }

std::string strip(const std::string& text, const Value& chars, bool left, bool right) {
  const std::u32string s = code_points(text);
  std::u32string set;
  const bool custom = chars.is_string();
  if (custom) set = code_points(chars.as_string());
  auto strip_this = [&](char32_t c) { return custom ? set.find(c) != std::u32string::npos : is_python_space(c); };
  std::size_t b = 0, e = s.size();
  if (left) {
    while (b < e && strip_this(s[b])) ++b;
  }
  if (right) {
    while (e > b && strip_this(s[e - 1])) --e;
  }
  return encode(s.substr(b, e - b));
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count,
                        Renderer& r) {
  std::string out;
  int64_t done = 0;
  if (from.empty()) {  // Python inserts `to` around every character
    const std::u32string cps = code_points(s);
    for (const char32_t c : cps) {
      if (count >= 0 && done >= count) {
        append_utf8(c, out);
        continue;
      }
      out += to;
      append_utf8(c, out);
      ++done;
      r.check_size(out.size());
    }
    if (count < 0 || done < count) out += to;
    return out;
  }
  std::size_t pos = 0;
  while (true) {
    const std::size_t found = (count >= 0 && done >= count) ? std::string::npos : s.find(from, pos);
    if (found == std::string::npos) break;
    out.append(s, pos, found - pos);
    out += to;
    r.check_size(out.size());
    pos = found + from.size();
    ++done;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

std::vector<Value> split(const std::string& text, const Value& sep, int64_t maxsplit, Renderer& r) {
  std::vector<Value> parts;
  if (sep.is_none() || sep.is_undefined()) {
    const std::u32string s = code_points(text);
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && is_python_space(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
        std::size_t e = s.size();
        while (e > i && is_python_space(s[e - 1])) --e;
        parts.push_back(Value::string(encode(s.substr(i, e - i))));
        break;
      }
      std::size_t j = i;
      while (j < s.size() && !is_python_space(s[j])) ++j;
      parts.push_back(Value::string(encode(s.substr(i, j - i))));
      i = j;
    }
    return parts;
  }
  if (!sep.is_string()) r.fail("split() separator must be a string or None");
  const std::string& d = sep.as_string();
  if (d.empty()) r.fail("empty separator");
  std::size_t pos = 0;
  while (true) {
    const std::size_t found = (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) ? std::string::npos : text.find(d, pos);
    if (found == std::string::npos) break;
    parts.push_back(Value::string(text.substr(pos, found - pos)));
    pos = found + d.size();
  }
  parts.push_back(Value::string(text.substr(pos)));
  return parts;
}

// Arguments by position or name, as Python binds them.
class Args {
 public:
  Args(Renderer& r, CallArgs& args, std::string what) : r_(r), args_(args), what_(std::move(what)) {}
  const Value* get(std::size_t index, const char* name) const {
    if (index < args_.positional.size()) return &args_.positional[index];
    for (const auto& [key, value] : args_.keyword) {
      if (key == name) return &value;
    }
    return nullptr;
  }
  Value value(std::size_t index, const char* name, Value fallback = Value()) const {
    const Value* v = get(index, name);
    return v ? *v : fallback;
  }
  int64_t integer(std::size_t index, const char* name, int64_t fallback) const {
    const Value* v = get(index, name);
    if (!v || v->is_none()) return fallback;
    if (v->kind() != Value::Kind::kInt && v->kind() != Value::Kind::kBool) r_.fail(what_ + ": '" + name + "' must be an integer");
    return v->as_int();
  }
  std::string string(std::size_t index, const char* name, const std::string& fallback) const {
    const Value* v = get(index, name);
    if (!v) return fallback;
    if (!v->is_string()) r_.fail(what_ + ": '" + name + "' must be a string");
    return v->as_string();
  }
  bool boolean(std::size_t index, const char* name, bool fallback) const {
    const Value* v = get(index, name);
    return v ? v->truthy() : fallback;
  }
  std::size_t count() const { return args_.positional.size(); }
  CallArgs rest(std::size_t from) const {
    CallArgs out;
    for (std::size_t k = from; k < args_.positional.size(); ++k) out.positional.push_back(args_.positional[k]);
    out.keyword = args_.keyword;
    return out;
  }

 private:
  Renderer& r_;
  CallArgs& args_;
  std::string what_;
};

Value string_value(Renderer& r, std::string s) {
  r.check_size(s.size());
  r.charge_work(s.size());
  return Value::string(std::move(s));
}

// Python-style lookup of an attribute path ("a.b" or "0") for map/selectattr/sort.
Value attribute_path(Renderer& r, const Value& object, const std::string& path) {
  Value current = object;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (current.is_undefined()) return current;
    const bool numeric = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    current = numeric ? r.item(current, Value::integer(std::stoll(part))) : r.item(current, Value::string(part));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

Value bound(const std::string& name, std::function<Value(Renderer&, Args&)> body) {
  return Value::function(name, [name, body](Renderer& r, CallArgs& args) {
    Args a(r, args, name + "()");
    return body(r, a);
  });
}

}  // namespace

Value Renderer::item(const Value& object, const Value& key) {
  if (object.is_generator()) return Value::undefined("'generator' object is not subscriptable");
  if (object.is_list() || object.is_string()) {
    if (key.kind() != Value::Kind::kInt && key.kind() != Value::Kind::kBool) {
      return key.is_string() ? attribute(object, key.as_string()) : Value::undefined("bad index");
    }
    int64_t index = key.as_int();
    if (object.is_list()) {
      const auto n = static_cast<int64_t>(object.items().size());
      if (index < 0) index += n;
      if (index < 0 || index >= n) return Value::undefined("'list object' has no element " + std::to_string(key.as_int()));
      return object.items()[static_cast<std::size_t>(index)];
    }
    const std::u32string s = code_points(object.as_string());
    const auto n = static_cast<int64_t>(s.size());
    if (index < 0) index += n;
    if (index < 0 || index >= n) return Value::undefined("'str object' has no element " + std::to_string(key.as_int()));
    std::string out;
    append_utf8(s[static_cast<std::size_t>(index)], out);
    return Value::string(std::move(out));
  }
  if (object.is_dict() || object.kind() == Value::Kind::kNamespace) {
    if (key.is_string()) {
      if (const Value* found = object.find(key.as_string())) return *found;
    }
    return Value::undefined("'dict object' has no attribute '" + to_str(key) + "'");
  }
  return Value::undefined("'" + object.type_name() + " object' has no element " + to_repr(key));
}

Value Renderer::attribute(const Value& object, const std::string& name) {
  if (object.is_string()) {
    const std::string s = object.as_string();
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      return bound(name, [s, name](Renderer&, Args& a) {
        return Value::string(strip(s, a.value(0, "chars"), name != "rstrip", name != "lstrip"));
      });
    }
    if (name == "split") {
      return bound(name, [s](Renderer& r, Args& a) {
        return Value::list(split(s, a.value(0, "sep", Value::none()), a.integer(1, "maxsplit", -1), r));
      });
    }
    if (name == "startswith" || name == "endswith") {
      return bound(name, [s, name](Renderer& r, Args& a) {
        const Value arg = a.value(0, "prefix");
        std::vector<Value> options = arg.is_list() ? arg.items() : std::vector<Value>{arg};
        for (const Value& o : options) {
          if (!o.is_string()) r.fail(name + "() takes a string or a tuple of strings");
          const std::string& p = o.as_string();
          if (p.size() > s.size()) continue;
          if (name == "startswith" ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0) {
            return Value::boolean(true);
          }
        }
        return Value::boolean(false);
      });
    }
    if (name == "upper") return bound(name, [s](Renderer&, Args&) { return Value::string(to_upper(s)); });
    if (name == "lower") return bound(name, [s](Renderer&, Args&) { return Value::string(to_lower(s)); });
    if (name == "title") return bound(name, [s](Renderer&, Args&) { return Value::string(title_case(s)); });
    if (name == "capitalize") return bound(name, [s](Renderer&, Args&) { return Value::string(capitalize(s)); });
    if (name == "replace") {
      return bound(name, [s](Renderer& r, Args& a) {
        return string_value(r, replace_all(s, a.string(0, "old", ""), a.string(1, "new", ""), a.integer(2, "count", -1), r));
      });
    }
    if (name == "find" || name == "count") {
      return bound(name, [s, name](Renderer& r, Args& a) {
        const std::string sub = a.string(0, "sub", "");
        if (name == "find") {
          const std::size_t at = s.find(sub);
          return Value::integer(at == std::string::npos ? -1 : static_cast<int64_t>(utf8_length(s.substr(0, at))));
        }
        if (sub.empty()) return Value::integer(static_cast<int64_t>(utf8_length(s)) + 1);
        int64_t n = 0;
        for (std::size_t at = s.find(sub); at != std::string::npos; at = s.find(sub, at + sub.size())) ++n;
        (void)r;
        return Value::integer(n);
      });
    }
    if (name == "join") {
      return bound(name, [s](Renderer& r, Args& a) {
        std::string out;
        bool first = true;
        for (const Value& v : iterate(r, a.value(0, "iterable"))) {
          if (!v.is_string()) r.fail("join() expects strings, found " + v.type_name());
          if (!first) out += s;
          first = false;
          out += v.as_string();
          r.check_size(out.size());
        }
        return string_value(r, std::move(out));
      });
    }
    if (name == "splitlines") {
      return bound(name, [s](Renderer&, Args& a) {
        const bool keep = a.boolean(0, "keepends", false);
        ValueList lines;
        std::size_t start = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
          if (s[i] != '\n' && s[i] != '\r') continue;
          std::size_t end = i;
          if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
          lines.push_back(Value::string(s.substr(start, (keep ? i + 1 : end) - start)));
          start = i + 1;
        }
        if (start < s.size()) lines.push_back(Value::string(s.substr(start)));
        return Value::list(std::move(lines));
      });
    }
    if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isalnum") {
      return bound(name, [s, name](Renderer&, Args&) {
        if (s.empty()) return Value::boolean(false);
        for (const char32_t c : code_points(s)) {
          const bool ok = name == "isspace" ? is_python_space(c)
                          : c >= 0x80       ? name != "isdigit"
                          : name == "isdigit" ? std::isdigit(static_cast<int>(c)) != 0
                          : name == "isalpha" ? std::isalpha(static_cast<int>(c)) != 0
                                              : std::isalnum(static_cast<int>(c)) != 0;
          if (!ok) return Value::boolean(false);
        }
        return Value::boolean(true);
      });
    }
    return Value::undefined("'str object' has no attribute '" + name + "'");
  }
  if (object.is_dict()) {
    if (name == "items" || name == "keys" || name == "values") {
      return bound(name, [object, name](Renderer&, Args&) {
        ValueList out;
        for (const auto& [key, value] : object.entries()) {
          if (name == "items") out.push_back(Value::list({Value::string(key), value}, true));
          else if (name == "keys") out.push_back(Value::string(key));
          else out.push_back(value);
        }
        return Value::list(std::move(out));
      });
    }
    if (name == "get") {
      return bound(name, [object](Renderer&, Args& a) {
        const Value key = a.value(0, "key");
        const Value* found = key.is_string() ? object.find(key.as_string()) : nullptr;
        return found ? *found : a.value(1, "default", Value::none());
      });
    }
    if (name == "update" || name == "pop" || name == "popitem" || name == "setdefault" || name == "clear") {
      fail("access to attribute '" + name + "' of 'dict' object is unsafe (the sandbox is immutable)");
    }
    if (const Value* found = object.find(name)) return *found;
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  if (object.kind() == Value::Kind::kNamespace) {
    if (const Value* found = object.find(name)) return *found;
    return Value::undefined("'Namespace object' has no attribute '" + name + "'");
  }
  if (object.is_list()) {
    static const char* kMutators[] = {"append", "pop", "extend", "insert", "remove", "clear", "sort", "reverse"};
    for (const char* m : kMutators) {
      if (name == m) fail("access to attribute '" + name + "' of 'list' object is unsafe (the sandbox is immutable)");
    }
    if (name == "index" || name == "count") {
      return bound(name, [object, name](Renderer& r, Args& a) {
        const Value needle = a.value(0, "value");
        int64_t n = 0;
        for (std::size_t k = 0; k < object.items().size(); ++k) {
          if (!values_equal(object.items()[k], needle)) continue;
          if (name == "index") return Value::integer(static_cast<int64_t>(k));
          ++n;
        }
        if (name == "index") r.fail(to_repr(needle) + " is not in list");
        return Value::integer(n);
      });
    }
  }
  return Value::undefined("'" + object.type_name() + " object' has no attribute '" + name + "'");
}

bool Renderer::test(const std::string& name, const Value& v, CallArgs& call_args) {
  Args a(*this, call_args, "test '" + name + "'");
  using K = Value::Kind;
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.kind() == K::kInt;
  if (name == "float") return v.kind() == K::kFloat;
  if (name == "boolean") return v.kind() == K::kBool;
  if (name == "true") return v.kind() == K::kBool && v.as_bool();
  if (name == "false") return v.kind() == K::kBool && !v.as_bool();
  if (name == "callable") return v.kind() == K::kFunction || v.is_undefined();  // Undefined has __call__
  if (name == "lower" || name == "upper") {
    // Python's str(v).islower(): some cased character, and none of the other case.
    const std::string s = to_str(v);
    const std::string other = name == "lower" ? to_upper(s) : to_lower(s);
    return s == (name == "lower" ? to_lower(s) : to_upper(s)) && other != s;
  }
  if (name == "even" || name == "odd" || name == "divisibleby") {
    if (!v.is_number()) fail("test '" + name + "' needs a number");
    if (v.kind() == K::kFloat && name != "divisibleby") {
      const double m = eval_binary("%", v, Value::integer(2)).as_double();
      return name == "even" ? m == 0 : m == 1;
    }
    if (name == "even") return v.as_int() % 2 == 0;
    if (name == "odd") return v.as_int() % 2 != 0;
    const int64_t d = a.integer(0, "num", 0);
    if (d == 0) fail("divisibleby 0");
    return v.as_int() % d == 0;
  }
  const Value other = a.value(0, "other");
  if (name == "eq" || name == "equalto" || name == "==") return values_equal(v, other);
  if (name == "ne" || name == "!=") return !values_equal(v, other);
  if (name == "in") return contains(other, v);
  if (name == "sameas") {
    if (v.kind() != other.kind()) return false;
    if (v.kind() == K::kBool) return v.as_bool() == other.as_bool();
    return v.kind() == K::kNone || v.kind() == K::kUndefined;
  }
  if (name == "lt" || name == "<" || name == "le" || name == "<=" || name == "gt" || name == ">" || name == "ge" ||
      name == ">=") {
    try {
      if (name == "lt" || name == "<") return value_less(v, other);
      if (name == "gt" || name == ">") return value_less(other, v);
      if (name == "le" || name == "<=") return !value_less(other, v);
      return !value_less(v, other);
    } catch (const ValueError& error) {
      fail(error.what());
    }
  }
  fail("no test named '" + name + "'");
}

Value Renderer::filter(const std::string& name, const Value& v, CallArgs& call_args) {
  Args a(*this, call_args, "filter '" + name + "'");
  using K = Value::Kind;
  auto need_string = [&]() -> std::string {
    if (v.is_undefined()) return "";
    return to_str(v);
  };
  if (name == "default" || name == "d") {
    const bool boolean = a.boolean(1, "boolean", false);
    if (v.is_undefined() || (boolean && !v.truthy())) return a.value(0, "default_value", Value::string(""));
    return v;
  }
  if (name == "trim") return Value::string(strip(need_string(), a.value(0, "chars"), true, true));
  if (name == "length" || name == "count") {
    if (v.is_string()) return Value::integer(static_cast<int64_t>(utf8_length(v.as_string())));
    if (v.is_generator()) fail("object of type 'generator' has no len()");
    if (v.is_list()) return Value::integer(static_cast<int64_t>(v.items().size()));
    if (v.is_dict() || v.kind() == K::kNamespace) return Value::integer(static_cast<int64_t>(v.entries().size()));
    if (v.is_undefined()) return Value::integer(0);
    fail("object of type '" + v.type_name() + "' has no len()");
  }
  if (name == "upper") return Value::string(to_upper(to_str(v)));
  if (name == "lower") return Value::string(to_lower(to_str(v)));
  if (name == "capitalize") return Value::string(capitalize(to_str(v)));
  if (name == "title") return Value::string(jinja_title(to_str(v)));
  if (name == "string" || name == "safe") return v.is_string() ? v : Value::string(need_string());
  if (name == "tojson") {
    if (v.is_undefined()) fail("Object of type Undefined is not JSON serializable");
    JsonOptions options;
    options.ensure_ascii = a.boolean(99, "ensure_ascii", false);
    const Value indent = a.value(0, "indent", Value::none());
    if (indent.kind() == K::kInt) options.indent = static_cast<int>(std::clamp<int64_t>(indent.as_int(), 0, 64));
    else if (indent.is_string()) options.indent_string = indent.as_string();
    else if (!indent.is_none()) fail("tojson: indent must be an integer or a string");
    const Value separators = a.value(99, "separators", Value::none());
    if (separators.is_list()) {
      if (separators.items().size() != 2 || !separators.items()[0].is_string() || !separators.items()[1].is_string()) {
        fail("tojson: separators must be two strings");
      }
      options.separators_given = true;
      options.item_separator = separators.items()[0].as_string();
      options.key_separator = separators.items()[1].as_string();
    }
    options.sort_keys = a.boolean(99, "sort_keys", false);
    try {
      return string_value(*this, to_json(v, options));
    } catch (const ValueError& error) {
      fail(error.what());
    }
  }
  if (name == "items") {
    if (v.is_undefined()) return Value::list({});
    if (!v.is_dict()) fail("filter 'items' needs a mapping, not " + v.type_name());
    ValueList out;
    for (const auto& [key, value] : v.entries()) out.push_back(Value::list({Value::string(key), value}, true));
    return Value::generator(std::move(out));
  }
  if (name == "list") return Value::list(iterate(*this, v));
  if (name == "first" || name == "last") {
    const std::vector<Value> items = iterate(*this, v);
    if (name == "last" && v.is_generator()) fail("'generator' object is not reversible");
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::u32string s = code_points(v.as_string());
      std::reverse(s.begin(), s.end());
      return Value::string(encode(s));
    }
    if (v.is_generator()) fail("'generator' object is not reversible");
    std::vector<Value> items = iterate(*this, v);
    std::reverse(items.begin(), items.end());
    return Value::generator(std::move(items));
  }
  if (name == "join") {
    const std::string sep = a.string(0, "d", "");
    const Value attribute = a.value(1, "attribute", Value::none());
    std::string out;
    bool first = true;
    for (const Value& item : iterate(*this, v)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attribute.is_none() ? item : attribute_path(*this, item, to_str(attribute)));
      check_size(out.size());
    }
    return string_value(*this, std::move(out));
  }
  if (name == "replace") {
    return string_value(*this, replace_all(to_str(v), to_str(a.value(0, "old")), to_str(a.value(1, "new")),
                                           a.integer(2, "count", -1), *this));
  }
  if ((name == "int" || name == "float") && v.is_undefined()) fail(v.as_string());  // int(Undefined) raises
  if (name == "int") {
    const int64_t fallback = a.integer(0, "default", 0);
    // Python's int() of a finite float; its ints have no bound, this interpreter's are 64-bit: past
    // them the render stops, as integer overflow in arithmetic does (casting would be undefined).
    const auto truncated = [&](double d) -> int64_t {
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) fail("integer overflow");
      return static_cast<int64_t>(d);
    };
    if (v.kind() == K::kInt || v.kind() == K::kBool) return Value::integer(v.as_int());
    if (v.kind() == K::kFloat) return std::isfinite(v.as_double()) ? Value::integer(truncated(v.as_double())) : Value::integer(fallback);
    if (v.is_string()) {
      const std::string s = strip(v.as_string(), Value(), true, true);
      char* end = nullptr;
      errno = 0;
      const long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return Value::integer(i);
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return Value::integer(truncated(d));
    }
    return Value::integer(fallback);
  }
  if (name == "float") {
    if (v.is_number()) return Value::number(v.as_double());
    if (v.is_string()) {
      const std::string s = strip(v.as_string(), Value(), true, true);
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size()) return Value::number(d);
    }
    const Value fallback = a.value(0, "default", Value::number(0.0));
    return fallback;
  }
  if (name == "abs") {
    if (v.kind() == K::kFloat) return Value::number(std::fabs(v.as_double()));
    if (v.is_number()) return Value::integer(std::llabs(v.as_int()));
    fail("bad operand type for abs(): '" + v.type_name() + "'");
  }
  if (name == "round") {
    if (!v.is_number()) fail("filter 'round' needs a number");
    const int64_t precision = a.integer(0, "precision", 0);
    const std::string method = a.string(1, "method", "common");
    if (method != "common" && method != "ceil" && method != "floor") fail("round: method must be common, ceil or floor");
    if (method == "common" && precision >= 0 && v.kind() != K::kFloat) return Value::integer(v.as_int());  // round(int, n)
    if (method == "common" && precision >= 0 && precision <= 300) {
      // Python's round(): the exact binary value rounded half-even, as printf rounds it.
      char buffer[512];
      std::snprintf(buffer, sizeof buffer, "%.*f", static_cast<int>(precision), v.as_double());
      return Value::number(std::strtod(buffer, nullptr));
    }
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = v.as_double() * scale;
    const double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
    return Value::number(r / scale);
  }
  if (name == "indent") {
    const Value width_value = a.value(0, "width", Value::integer(4));
    const std::string pad = width_value.is_string() ? width_value.as_string()
                                                    : std::string(static_cast<std::size_t>(std::clamp<int64_t>(width_value.as_int(), 0, 1024)), ' ');
    const bool first = a.boolean(1, "first", false);
    const bool blank = a.boolean(2, "blank", false);
    if (!v.is_string()) fail("filter 'indent' needs a string, not " + v.type_name());
    const std::string s = v.as_string();
    std::string out;
    std::size_t start = 0;
    bool is_first = true;
    while (start <= s.size()) {
      const std::size_t nl = s.find('\n', start);
      const std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      const bool indent_it = (is_first ? first : true) && (blank || !line.empty());
      if (!is_first) out += '\n';
      if (indent_it) out += pad;
      out += line;
      check_size(out.size());
      is_first = false;
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return Value::string(std::move(out));
  }
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
    const bool by_attribute = name == "selectattr" || name == "rejectattr";
    const bool keep_matches = name == "selectattr" || name == "select";
    const std::string attr = by_attribute ? a.string(0, "attribute", "") : "";
    const std::size_t test_index = by_attribute ? 1 : 0;
    const Value test_name = a.value(test_index, "test", Value::none());
    CallArgs test_args = a.rest(test_index + 1);
    ValueList out;
    for (const Value& item : iterate(*this, v)) {
      const Value subject = by_attribute ? attribute_path(*this, item, attr) : item;
      const bool matched = test_name.is_none() ? subject.truthy() : test(to_str(test_name), subject, test_args);
      if (matched == keep_matches) out.push_back(item);
    }
    return Value::generator(std::move(out));
  }
  if (name == "map") {
    ValueList out;
    const Value* attr = nullptr;
    for (const auto& [key, value] : call_args.keyword) {
      if (key == "attribute") attr = &value;
    }
    if (attr) {
      const Value* fallback = nullptr;
      for (const auto& [key, value] : call_args.keyword) {
        if (key == "default") fallback = &value;
      }
      for (const Value& item : iterate(*this, v)) {
        Value mapped = attribute_path(*this, item, to_str(*attr));
        out.push_back(mapped.is_undefined() && fallback ? *fallback : mapped);
      }
      return Value::generator(std::move(out));
    }
    if (call_args.positional.empty() || !call_args.positional[0].is_string()) fail("map needs a filter name or attribute=");
    const std::string filter_name = call_args.positional[0].as_string();
    CallArgs rest = a.rest(1);
    for (const Value& item : iterate(*this, v)) out.push_back(filter(filter_name, item, rest));
    return Value::generator(std::move(out));
  }
  // jinja2 compares strings case-insensitively in unique, sort, dictsort, min and max unless told.
  const bool case_sensitive = a.boolean(99, "case_sensitive", false);
  auto fold = [&](const Value& key) { return !case_sensitive && key.is_string() ? Value::string(to_lower(key.as_string())) : key; };
  if (name == "unique") {
    const Value attr = a.value(99, "attribute", Value::none());
    ValueList out, keys;
    for (const Value& item : iterate(*this, v)) {
      const Value key = fold(attr.is_none() ? item : attribute_path(*this, item, to_str(attr)));
      if (std::none_of(keys.begin(), keys.end(), [&](const Value& seen) { return values_equal(seen, key); })) {
        keys.push_back(key);
        out.push_back(item);
      }
    }
    return Value::generator(std::move(out));
  }
  if (name == "sort" || name == "dictsort") {
    std::vector<Value> items;
    if (name == "dictsort") {
      if (!v.is_dict()) fail("dictsort needs a mapping");
      for (const auto& [key, value] : v.entries()) items.push_back(Value::list({Value::string(key), value}, true));
    } else {
      items = iterate(*this, v);
    }
    const bool reverse = a.boolean(name == "sort" ? 0 : 2, "reverse", false);
    const Value attr = a.value(99, "attribute", Value::none());
    const bool by_value = name == "dictsort" && a.string(1, "by", "key") == "value";
    auto key_of = [&](const Value& item) {
      if (name == "dictsort") return fold(item.items()[by_value ? 1 : 0]);
      return fold(attr.is_none() ? item : attribute_path(*this, item, to_str(attr)));
    };
    try {
      std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        return reverse ? value_less(key_of(y), key_of(x)) : value_less(key_of(x), key_of(y));
      });
    } catch (const ValueError& error) {
      fail(error.what());
    }
    return Value::list(std::move(items));
  }
  if (name == "sum" || name == "min" || name == "max") {
    const std::vector<Value> items = iterate(*this, v);
    if (name == "sum") {
      Value total = a.value(1, "start", Value::integer(0));
      for (const Value& item : items) total = eval_binary("+", total, item);
      return total;
    }
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    const Value attr = a.value(99, "attribute", Value::none());
    auto key_of = [&](const Value& item) { return fold(attr.is_none() ? item : attribute_path(*this, item, to_str(attr))); };
    Value best = items[0];
    for (std::size_t k = 1; k < items.size(); ++k) {
      const Value& item = items[k];
      if (name == "min" ? value_less(key_of(item), key_of(best)) : value_less(key_of(best), key_of(item))) best = item;
    }
    return best;
  }
  if (name == "wordcount") return Value::integer(word_count(to_str(v)));
  if (name == "escape" || name == "e") {
    std::string out;
    for (const char c : to_str(v)) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
      }
    }
    return Value::string(std::move(out));
  }
  fail("no filter named '" + name + "'");
}

ValueDict Renderer::builtin_globals() {
  ValueDict globals;
  globals.emplace_back("range", Value::function("range", [](Renderer& r, CallArgs& args) {
    std::vector<int64_t> bounds;
    for (const Value& v : args.positional) {
      if (v.kind() != Value::Kind::kInt && v.kind() != Value::Kind::kBool) r.fail("range() takes integers");
      bounds.push_back(v.as_int());
    }
    if (bounds.empty() || bounds.size() > 3) r.fail("range() takes 1 to 3 arguments");
    const int64_t start = bounds.size() == 1 ? 0 : bounds[0];
    const int64_t stop = bounds.size() == 1 ? bounds[0] : bounds[1];
    const int64_t step = bounds.size() == 3 ? bounds[2] : 1;
    if (step == 0) r.fail("range() step must not be zero");
    ValueList out;
    for (int64_t k = start; step > 0 ? k < stop : k > stop; k += step) {
      out.push_back(Value::integer(k));
      if (static_cast<int64_t>(out.size()) > r.options().limits.max_loop_iterations) {
        r.fail("range() longer than " + std::to_string(r.options().limits.max_loop_iterations));
      }
    }
    return Value::list(std::move(out));
  }));
  auto make_mapping = [](bool ns) {
    return [ns](Renderer& r, CallArgs& args) {
      ValueDict entries;
      for (const Value& v : args.positional) {
        if (!v.is_dict()) r.fail(std::string(ns ? "namespace" : "dict") + "() takes a mapping or keyword arguments");
        entries.insert(entries.end(), v.entries().begin(), v.entries().end());
      }
      for (const auto& entry : args.keyword) entries.push_back(entry);
      return ns ? Value::namespace_object(std::move(entries)) : Value::dict(std::move(entries));
    };
  };
  globals.emplace_back("namespace", Value::function("namespace", make_mapping(true)));
  globals.emplace_back("dict", Value::function("dict", make_mapping(false)));
  globals.emplace_back("raise_exception", Value::function("raise_exception", [](Renderer& r, CallArgs& args) -> Value {
    r.fail("raise_exception: " + (args.positional.empty() ? std::string() : to_str(args.positional[0])));
  }));
  globals.emplace_back("strftime_now", Value::function("strftime_now", [](Renderer& r, CallArgs& args) {
    if (args.positional.size() != 1 || !args.positional[0].is_string()) r.fail("strftime_now() takes one format string");
    std::tm now{};
    if (r.options().now) {
      now = r.options().now();
    } else {
      const std::time_t t = std::time(nullptr);
      localtime_r(&t, &now);
    }
    char buffer[512];
    const std::size_t n = std::strftime(buffer, sizeof buffer, args.positional[0].as_string().c_str(), &now);
    return Value::string(std::string(buffer, n));
  }));
  return globals;
}

}  // namespace aimicius::jinja
