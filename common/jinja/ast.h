// The parsed template: expressions and statements, as the parser builds them and the renderer
// walks them. Plain data; every node keeps its source line for error messages.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/jinja/value.h"

namespace aimicius::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,    // literal
    kName,       // name
    kList,       // args (items); is_tuple
    kDict,       // args: key, value, key, value, ...
    kAttribute,  // args[0].name
    kItem,       // args[0][args[1]]
    kSlice,      // args[0][args[1]:args[2]:args[3]] (each bound may be null)
    kCall,       // args[0](args[1..], keywords)
    kFilter,     // args[0] | name(args[1..], keywords)
    kTest,       // args[0] is [not] name(args[1..])   (negated)
    kUnary,      // name in {"-", "+", "not"} args[0]
    kBinary,     // args[0] name args[1]; name in {+ - * / // % ** ~}
    kCompare,    // args[0] ops[0] args[1] ops[1] args[2] ...; ops in {== != < <= > >= in notin}
    kAnd,        // args[0] and args[1]
    kOr,
    kConditional,  // args[0] if args[1] else args[2] (args[2] null: Undefined)
  };
  Kind kind;
  int line = 0;
  std::string name;
  Value literal;
  bool negated = false;
  bool is_tuple = false;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  std::vector<std::string> ops;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kText,        // text
    kOutput,      // {{ expr }}
    kIf,          // conditions[i] -> bodies[i]; else_body
    kFor,         // for targets in expr [if filter]: bodies[0] [else else_body]
    kSet,         // set targets = expr, or set targets[0].attribute = expr
    kSetBlock,    // set targets[0] %}bodies[0]{% endset (filtered by filter_expr when present)
    kMacro,       // macro name(params) bodies[0]
    kBreak,
    kContinue,
    kScope,       // bodies[0] rendered as is ({% generation %} of transformers' AssistantTracker)
  };
  Kind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body else_body;
  std::vector<std::string> targets;
  std::string attribute;
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro parameters with their defaults
};

}  // namespace aimicius::jinja
