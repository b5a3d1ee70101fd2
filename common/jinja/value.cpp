// Values, Python printing, json.dumps and comparison (see value.h).
#include "common/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/utf8.h"

namespace aimicius::jinja {

namespace {

const ValueList kEmptyList;
const ValueDict kEmptyDict;

void check_depth(int depth) {
  if (depth > kMaxValueDepth) {
    throw ValueError("value nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  }
}

}  // namespace

Value Value::undefined(std::string name) {
  Value v;
  v.s_ = std::make_shared<const std::string>(std::move(name));
  return v;
}
Value Value::none() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.i_ = i;
  return v;
}
Value Value::number(double f) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.f_ = f;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.s_ = std::make_shared<const std::string>(std::move(s));
  return v;
}
Value Value::list(ValueList items, bool is_tuple) {
  Value v;
  v.kind_ = Kind::kList;
  v.is_tuple_ = is_tuple;
  v.list_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}
Value Value::generator(ValueList items) {
  Value v = list(std::move(items));
  v.is_generator_ = true;
  return v;
}

Value Value::dict(ValueDict items) {
  Value v;
  v.kind_ = Kind::kDict;
  v.dict_ = std::make_shared<ValueDict>(std::move(items));
  return v;
}
Value Value::namespace_object(ValueDict items) {
  Value v = dict(std::move(items));
  v.kind_ = Kind::kNamespace;
  return v;
}
Value Value::function(std::string name, Function fn) {
  Value v;
  v.kind_ = Kind::kFunction;
  v.s_ = std::make_shared<const std::string>(std::move(name));
  v.fn_ = std::make_shared<const Function>(std::move(fn));
  return v;
}

const std::string& Value::as_string() const {
  static const std::string kEmpty;
  return s_ ? *s_ : kEmpty;
}

int64_t Value::as_int() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }
double Value::as_double() const {
  if (kind_ == Kind::kFloat) return f_;
  return static_cast<double>(as_int());
}
const ValueList& Value::items() const { return list_ ? *list_ : kEmptyList; }
const ValueDict& Value::entries() const { return dict_ ? *dict_ : kEmptyDict; }
ValueDict& Value::namespace_entries() const { return *dict_; }

const Value* Value::find(const std::string& key) const {
  if (!dict_) return nullptr;
  for (const auto& [k, v] : *dict_) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return b_;
    case Kind::kInt: return i_ != 0;
    case Kind::kFloat: return f_ != 0.0;
    case Kind::kString: return !as_string().empty();
    case Kind::kList: return is_generator_ || !items().empty();
    case Kind::kDict: return !entries().empty();
    case Kind::kNamespace:
    case Kind::kFunction: return true;
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return is_generator_ ? "generator" : is_tuple_ ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kFunction: return "function";
  }
  return "?";
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string sci(buffer, result.ptr);  // [-]d[.ddd]e(+|-)XX, shortest round trip
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const std::size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(sci.substr(e + 1));
  if (exponent >= -4 && exponent < 16) {
    std::string out;
    if (exponent < 0) {
      out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out = digits + std::string(static_cast<std::size_t>(exponent + 1) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<std::size_t>(exponent + 1)) + "." +
            digits.substr(static_cast<std::size_t>(exponent + 1));
    }
    return sign + out;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  char exp_text[16];
  std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return sign + mantissa + exp_text;
}

namespace {

std::string repr_string(const std::string& s) {
  const bool use_double = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char quote = use_double ? '"' : '\'';
  std::string out(1, quote);
  for (const unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += quote;
  return out;
}

std::string print(const Value& value, bool repr, int depth) {
  check_depth(depth);
  switch (value.kind()) {
    case Value::Kind::kUndefined: return "";
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return value.as_bool() ? "True" : "False";
    case Value::Kind::kInt: return std::to_string(value.as_int());
    case Value::Kind::kFloat: return float_repr(value.as_double());
    case Value::Kind::kString: return repr ? repr_string(value.as_string()) : value.as_string();
    case Value::Kind::kList: {
      if (value.is_generator()) throw ValueError("printing a generator (jinja2 prints '<generator object ...>'): add |list");
      std::string out = value.is_tuple() ? "(" : "[";
      bool first = true;
      for (const Value& item : value.items()) {
        if (!first) out += ", ";
        first = false;
        out += print(item, true, depth + 1);
      }
      if (value.is_tuple() && value.items().size() == 1) out += ",";
      return out + (value.is_tuple() ? ")" : "]");
    }
    case Value::Kind::kDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.entries()) {
        if (!first) out += ", ";
        first = false;
        out += repr_string(key) + ": " + print(item, true, depth + 1);
      }
      return out + "}";
    }
    case Value::Kind::kNamespace: {
      std::string out = "<Namespace {";
      bool first = true;
      for (const auto& [key, item] : value.entries()) {
        if (!first) out += ", ";
        first = false;
        out += repr_string(key) + ": " + print(item, true, depth + 1);
      }
      return out + "}>";
    }
    case Value::Kind::kFunction: return "<function " + value.as_string() + ">";
  }
  return "";
}

void json_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const DecodedCodePoint decoded = decode_utf8_at(s, i);
      if (ensure_ascii) {
        char32_t cp = decoded.code_point == kInvalidCodePoint ? 0xFFFD : decoded.code_point;
        char hex[16];
        if (cp >= 0x10000) {
          cp -= 0x10000;
          std::snprintf(hex, sizeof hex, "\\u%04x\\u%04x", 0xD800 + static_cast<unsigned>(cp >> 10),
                        0xDC00 + static_cast<unsigned>(cp & 0x3FF));
        } else {
          std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(cp));
        }
        out += hex;
      } else {
        out.append(s, i, decoded.length);
      }
      i += decoded.length;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || (c == 0x7f && ensure_ascii)) {  // json.dumps escapes all but ' '..'~' then
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void json_value(const Value& value, const JsonOptions& options, int depth, std::string& out) {
  check_depth(depth);
  const bool pretty = options.indent >= 0 || !options.indent_string.empty();
  const std::string item_sep = options.separators_given ? options.item_separator : (pretty ? "," : ", ");
  const std::string key_sep = options.separators_given ? options.key_separator : ": ";
  const std::string unit = options.indent_string.empty() ? std::string(static_cast<std::size_t>(std::max(options.indent, 0)), ' ')
                                                         : options.indent_string;
  auto newline = [&](int level) {
    if (!pretty) return;
    out += '\n';
    for (int k = 0; k < level; ++k) out += unit;
  };
  switch (value.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(value.as_int()); return;
    case Value::Kind::kFloat: {
      const double f = value.as_double();
      if (std::isnan(f)) out += "NaN";
      else if (std::isinf(f)) out += f > 0 ? "Infinity" : "-Infinity";
      else out += float_repr(f);
      return;
    }
    case Value::Kind::kString: json_string(value.as_string(), options.ensure_ascii, out); return;
    case Value::Kind::kList: {
      if (value.is_generator()) throw ValueError("Object of type generator is not JSON serializable");
      if (value.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const Value& item : value.items()) {
        if (!first) out += item_sep;
        first = false;
        newline(depth + 1);
        json_value(item, options, depth + 1, out);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::kDict: {
      if (value.entries().empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : value.entries()) entries.push_back(&entry);
      if (options.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
      }
      out += '{';
      bool first = true;
      for (const auto* entry : entries) {
        if (!first) out += item_sep;
        first = false;
        newline(depth + 1);
        json_string(entry->first, options.ensure_ascii, out);
        out += key_sep;
        json_value(entry->second, options, depth + 1, out);
      }
      newline(depth);
      out += '}';
      return;
    }
    default: throw ValueError("Object of type " + value.type_name() + " is not JSON serializable");
  }
}

bool equal_at(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.kind() == Value::Kind::kFloat || b.kind() == Value::Kind::kFloat) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return true;
    case Value::Kind::kString: return a.as_string() == b.as_string();
    case Value::Kind::kList: {
      if (a.is_generator() || b.is_generator()) return &a.items() == &b.items();
      if (a.is_tuple() != b.is_tuple() || a.items().size() != b.items().size()) return false;
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        if (!equal_at(a.items()[i], b.items()[i], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (a.entries().size() != b.entries().size()) return false;
      for (const auto& [key, item] : a.entries()) {
        const Value* other = b.find(key);
        if (!other || !equal_at(item, *other, depth + 1)) return false;
      }
      return true;
    }
    default: return &a.entries() == &b.entries() && a.as_string() == b.as_string();
  }
}

bool less_at(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.kind() == Value::Kind::kFloat || b.kind() == Value::Kind::kFloat) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();  // UTF-8 order = code point order
  if (a.is_list() && b.is_list()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equal_at(x[i], y[i], depth + 1)) return less_at(x[i], y[i], depth + 1);
    }
    return x.size() < y.size();
  }
  throw ValueError("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

}  // namespace

std::string to_str(const Value& value) { return print(value, false, 0); }
std::string to_repr(const Value& value) { return print(value, true, 0); }

std::string to_json(const Value& value, const JsonOptions& options) {
  std::string out;
  json_value(value, options, 0, out);
  return out;
}

bool values_equal(const Value& a, const Value& b) { return equal_at(a, b, 0); }
bool value_less(const Value& a, const Value& b) { return less_at(a, b, 0); }

}  // namespace aimicius::jinja
