// The values a Jinja template computes with, modelled on the Python objects jinja2 would hold:
// Undefined (jinja2's default Undefined: prints as "", is falsy, iterates as empty, fails on
// arithmetic, attribute access and calls), None, bool, int (64-bit), float, str (UTF-8), list
// (tuples are lists flagged as tuples, for printing), dict (string keys, insertion order, as Python
// dicts and JSON objects), namespace (the one mutable value: `{% set ns.x = ... %}`) and callables
// (globals, bound string/dict methods, macros).
//
// Invariants: strings, lists and dicts are immutable once built (the renderer copies on change),
// so values share them freely; a namespace is shared by reference, as in Python. Printing, comparison and
// JSON follow Python's str(), ==/< and json.dumps exactly for the types above (floats use Python's
// repr: shortest round-trip digits, scientific below 1e-4 and from 1e16). Nesting deeper than
// kMaxValueDepth in printing, JSON or comparison is a ValueError, never a stack overflow.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/errors.h"

namespace aimicius::jinja {

// Every error of parsing or rendering a template: bad input (a checkpoint's template), exit 2.
// The message names the template and the line.
class TemplateError : public InputError {
 public:
  using InputError::InputError;
};

// An error of a value operation that has no template context itself (comparison, JSON, nesting,
// case mapping); the renderer turns it into a TemplateError naming the template and line.
class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Value;
class Renderer;
using ValueList = std::vector<Value>;
using ValueDict = std::vector<std::pair<std::string, Value>>;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// A builtin or a macro; the renderer passes itself so a macro can render its body.
using Function = std::function<Value(Renderer&, CallArgs&)>;

constexpr int kMaxValueDepth = 256;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kFunction };

  Value() = default;  // Undefined
  static Value undefined(std::string name = {});
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double f);
  static Value string(std::string s);
  static Value list(ValueList items, bool is_tuple = false);
  // What jinja2's map/select/reject/unique/reverse/items filters return: a Python generator.
  // Iterable (for, |list, |join, |first) and always truthy, but printing it, its length, |last and
  // JSON are errors (jinja2 would print '<generator object ...>'), and it equals only itself.
  static Value generator(ValueList items);
  static Value dict(ValueDict items);
  static Value namespace_object(ValueDict items);
  static Value function(std::string name, Function fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_tuple() const { return is_tuple_; }
  bool is_generator() const { return is_generator_; }

  bool as_bool() const { return b_; }
  int64_t as_int() const;  // bool and int
  double as_double() const;  // bool, int and float
  const std::string& as_string() const;  // string; the message of an Undefined; a function's name
  const ValueList& items() const;
  const ValueDict& entries() const;  // dict and namespace
  ValueDict& namespace_entries() const;
  const Function& as_function() const { return *fn_; }

  // Dict/namespace lookup; nullptr when absent.
  const Value* find(const std::string& key) const;

  bool truthy() const;
  std::string type_name() const;  // Python's: 'str', 'list', 'dict', 'NoneType', ...

 private:
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool is_tuple_ = false;
  bool is_generator_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::shared_ptr<const std::string> s_;  // shared: copying a value never copies its text
  std::shared_ptr<const ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<const Function> fn_;
};

// str(value) as Python prints it ("" for Undefined).
std::string to_str(const Value& value);
// repr(value) (strings quoted as Python quotes them).
std::string to_repr(const Value& value);
// Python's float repr.
std::string float_repr(double value);

struct JsonOptions {
  bool ensure_ascii = false;
  int indent = -1;             // -1: None (one line, ", " and ": ")
  std::string indent_string;   // when indent was given as a string
  bool sort_keys = false;
  std::string item_separator;  // empty: json.dumps' default for the indent
  std::string key_separator;
  bool separators_given = false;
};
// json.dumps(value, ...) with transformers' defaults (ensure_ascii=False).
std::string to_json(const Value& value, const JsonOptions& options);

// Python ==, and < (ValueError when the types do not order).
bool values_equal(const Value& a, const Value& b);
bool value_less(const Value& a, const Value& b);

}  // namespace aimicius::jinja
