// Recursive-descent parser for the Jinja subset (see parser.h).
#include "common/jinja/parser.h"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>

namespace aimicius::jinja {

namespace {

using T = Token::Type;

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const std::string& name) : tokens_(tokens), name_(name) {}

  Body parse_template() {
    Body body = parse_body({});
    if (cur().type != T::kEnd) fail("unexpected tag");
    return body;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxParseDepth) parser.fail("nested deeper than " + std::to_string(kMaxParseDepth) + " levels");
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  const Token& cur() const { return tokens_[pos_]; }
  const Token& peek(std::size_t ahead) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool is_op(const char* op) const { return cur().type == T::kOperator && cur().text == op; }
  bool is_name(const char* name) const { return cur().type == T::kName && cur().text == name; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw TemplateError("template " + name_ + ", line " + std::to_string(cur().line) + ": " + what);
  }

  static std::string describe(const Token& token) {
    switch (token.type) {
      case T::kText: return "text";
      case T::kVariableBegin: return "'{{'";
      case T::kVariableEnd: return "'}}'";
      case T::kBlockBegin: return "'{%'";
      case T::kBlockEnd: return "'%}'";
      case T::kEnd: return "the end of the template";
      default: return "'" + token.text + "'";
    }
  }

  void expect_op(const char* op) {
    if (!skip_op(op)) fail(std::string("expected '") + op + "', found " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != T::kName) fail("expected a name, found " + describe(cur()));
    std::string name = cur().text;
    advance();
    return name;
  }
  void expect_block_end() {
    if (cur().type != T::kBlockEnd) fail("expected '%}', found " + describe(cur()));
    advance();
  }
  void expect_end_tag(const char* name) {  // {% endX %}
    advance();  // {%
    if (!skip_name(name)) fail(std::string("expected {% ") + name + " %}");
    expect_block_end();
  }

  ExprPtr node(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  // ---- statements ----

  Body parse_body(std::initializer_list<const char*> ends) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& token = cur();
      if (token.type == T::kEnd) {
        if (ends.size() != 0) fail(std::string("missing {% ") + *(ends.end() - 1) + " %}");
        return body;
      }
      if (token.type == T::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->line = token.line;
        s->text = token.text;
        body.push_back(std::move(s));
        advance();
      } else if (token.type == T::kVariableBegin) {
        advance();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->line = token.line;
        s->expr = parse_tuple_expression();
        if (cur().type != T::kVariableEnd) fail("expected '}}', found " + describe(cur()));
        advance();
        body.push_back(std::move(s));
      } else if (token.type == T::kBlockBegin) {
        const Token& tag = peek(1);
        if (tag.type == T::kName &&
            std::any_of(ends.begin(), ends.end(), [&](const char* end) { return tag.text == end; })) {
          return body;
        }
        body.push_back(parse_statement());
      } else {
        fail("unexpected " + describe(token));
      }
    }
  }

  StmtPtr parse_statement() {
    advance();  // {%
    const int line = cur().line;
    const std::string tag = expect_name();
    auto s = std::make_unique<Stmt>();
    s->line = line;
    if (tag == "if") {
      s->kind = Stmt::Kind::kIf;
      s->conditions.push_back(parse_expression());
      expect_block_end();
      s->bodies.push_back(parse_body({"elif", "else", "endif"}));
      while (true) {
        const std::string next = peek(1).text;
        if (next == "elif") {
          advance();
          advance();
          s->conditions.push_back(parse_expression());
          expect_block_end();
          s->bodies.push_back(parse_body({"elif", "else", "endif"}));
        } else if (next == "else") {
          advance();
          advance();
          expect_block_end();
          s->else_body = parse_body({"endif"});
        } else {
          expect_end_tag("endif");
          break;
        }
      }
    } else if (tag == "for") {
      s->kind = Stmt::Kind::kFor;
      s->targets.push_back(expect_name());
      while (skip_op(",")) s->targets.push_back(expect_name());
      if (!skip_name("in")) fail("expected 'in' in a for tag");
      s->expr = parse_tuple_expression(false);
      if (skip_name("if")) s->filter = parse_expression();
      if (is_name("recursive")) fail("recursive for loops are not supported");
      expect_block_end();
      s->bodies.push_back(parse_body({"else", "endfor"}));
      if (peek(1).text == "else") {
        advance();
        advance();
        expect_block_end();
        s->else_body = parse_body({"endfor"});
      }
      expect_end_tag("endfor");
    } else if (tag == "set") {
      s->targets.push_back(expect_name());
      if (skip_op(".")) {
        s->attribute = expect_name();
      } else {
        while (skip_op(",")) s->targets.push_back(expect_name());
      }
      if (skip_op("=")) {
        s->kind = Stmt::Kind::kSet;
        s->expr = parse_tuple_expression();
        expect_block_end();
      } else {
        if (s->targets.size() != 1 || !s->attribute.empty()) fail("a block set takes one name");
        if (is_op("|")) fail("filters on a block set are not supported");
        s->kind = Stmt::Kind::kSetBlock;
        expect_block_end();
        s->bodies.push_back(parse_body({"endset"}));
        expect_end_tag("endset");
      }
    } else if (tag == "macro") {
      s->kind = Stmt::Kind::kMacro;
      s->text = expect_name();
      expect_op("(");
      while (!skip_op(")")) {
        std::string param = expect_name();
        ExprPtr default_value;
        if (skip_op("=")) default_value = parse_expression();
        s->params.emplace_back(std::move(param), std::move(default_value));
        if (!is_op(")")) expect_op(",");
      }
      expect_block_end();
      s->bodies.push_back(parse_body({"endmacro"}));
      expect_end_tag("endmacro");
    } else if (tag == "break" || tag == "continue") {
      s->kind = tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      expect_block_end();
    } else if (tag == "generation") {
      s->kind = Stmt::Kind::kScope;
      expect_block_end();
      s->bodies.push_back(parse_body({"endgeneration"}));
      expect_end_tag("endgeneration");
    } else {
      pos_ -= 1;
      fail("unsupported or unexpected tag '" + tag + "'");
    }
    return s;
  }

  // ---- expressions ----

  ExprPtr parse_tuple_expression(bool with_condition = true) {
    const int line = cur().line;
    ExprPtr first = with_condition ? parse_expression() : parse_or();
    if (!is_op(",")) return first;
    auto tuple = node(Expr::Kind::kList, line);
    tuple->is_tuple = true;
    tuple->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (cur().type == T::kVariableEnd || cur().type == T::kBlockEnd || is_name("if")) break;
      tuple->args.push_back(with_condition ? parse_expression() : parse_or());
    }
    return tuple;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      const int line = cur().line;
      advance();
      auto cond = node(Expr::Kind::kConditional, line);
      cond->args.push_back(std::move(expr));
      cond->args.push_back(parse_or());
      cond->args.push_back(skip_name("else") ? parse_expression() : nullptr);
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr binary(Expr::Kind kind, const std::string& op, ExprPtr left, ExprPtr right, int line) {
    auto e = node(kind, line);
    e->name = op;
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  // A left-associative chain `next (op next)*` where op is one of `ops` (operators, or names such
  // as "and" when `names`).
  template <typename Next>
  ExprPtr left_chain(Expr::Kind kind, std::initializer_list<const char*> ops, bool names, Next next) {
    ExprPtr left = next();
    while (true) {
      const char* matched = nullptr;
      for (const char* op : ops) {
        if (names ? is_name(op) : is_op(op)) matched = op;
      }
      if (!matched) return left;
      const int line = cur().line;
      advance();
      left = binary(kind, matched, std::move(left), next(), line);
    }
  }

  ExprPtr parse_or() { return left_chain(Expr::Kind::kOr, {"or"}, true, [this] { return parse_and(); }); }
  ExprPtr parse_and() { return left_chain(Expr::Kind::kAnd, {"and"}, true, [this] { return parse_not(); }); }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = node(Expr::Kind::kUnary, cur().line);
      advance();
      e->name = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const int line = cur().line;
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == T::kOperator &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
           cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek(1).type == T::kName && peek(1).text == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(Expr::Kind::kCompare, line);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    return left_chain(Expr::Kind::kBinary, {"+", "-"}, false, [this] { return parse_concat(); });
  }
  ExprPtr parse_concat() { return left_chain(Expr::Kind::kBinary, {"~"}, false, [this] { return parse_math2(); }); }
  ExprPtr parse_math2() {
    return left_chain(Expr::Kind::kBinary, {"*", "/", "//", "%"}, false, [this] { return parse_pow(); });
  }
  ExprPtr parse_pow() { return left_chain(Expr::Kind::kBinary, {"**"}, false, [this] { return parse_unary(true); }); }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      e = node(Expr::Kind::kUnary, cur().line);
      e->name = cur().text;
      advance();
      e->args.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    return with_filter ? parse_filter_chain(std::move(e)) : std::move(e);
  }

  ExprPtr literal(Value v, int line) {
    auto e = node(Expr::Kind::kLiteral, line);
    e->literal = std::move(v);
    return e;
  }

  ExprPtr parse_primary() {
    const Token& token = cur();
    const int line = token.line;
    switch (token.type) {
      case T::kName: {
        const std::string name = token.text;
        advance();
        if (name == "true" || name == "True") return literal(Value::boolean(true), line);
        if (name == "false" || name == "False") return literal(Value::boolean(false), line);
        if (name == "none" || name == "None") return literal(Value::none(), line);
        auto e = node(Expr::Kind::kName, line);
        e->name = name;
        return e;
      }
      case T::kString: {
        std::string text;
        while (cur().type == T::kString) {  // adjacent literals concatenate
          text += cur().text;
          advance();
        }
        return literal(Value::string(std::move(text)), line);
      }
      case T::kInteger: {
        errno = 0;
        const long long v = std::strtoll(token.text.c_str(), nullptr, 10);
        if (errno == ERANGE) fail("integer literal out of range: " + token.text);
        advance();
        return literal(Value::integer(v), line);
      }
      case T::kFloat: {
        const double v = std::strtod(token.text.c_str(), nullptr);
        advance();
        return literal(Value::number(v), line);
      }
      case T::kOperator: {
        if (skip_op("(")) {
          if (skip_op(")")) {
            auto e = node(Expr::Kind::kList, line);
            e->is_tuple = true;
            return e;
          }
          ExprPtr first = parse_expression();
          if (!is_op(",")) {
            expect_op(")");
            return first;
          }
          auto tuple = node(Expr::Kind::kList, line);
          tuple->is_tuple = true;
          tuple->args.push_back(std::move(first));
          while (skip_op(",")) {
            if (is_op(")")) break;
            tuple->args.push_back(parse_expression());
          }
          expect_op(")");
          return tuple;
        }
        if (skip_op("[")) {
          auto list = node(Expr::Kind::kList, line);
          while (!skip_op("]")) {
            list->args.push_back(parse_expression());
            if (!is_op("]")) expect_op(",");
          }
          return list;
        }
        if (skip_op("{")) {
          auto dict = node(Expr::Kind::kDict, line);
          while (!skip_op("}")) {
            dict->args.push_back(parse_expression());
            expect_op(":");
            dict->args.push_back(parse_expression());
            if (!is_op("}")) expect_op(",");
          }
          return dict;
        }
        break;
      }
      default: break;
    }
    fail("unexpected " + describe(token) + " in an expression");
  }

  void parse_call_arguments(Expr& call) {  // after '('
    while (!skip_op(")")) {
      if (is_op("*") || is_op("**")) fail("*args and **kwargs in calls are not supported");
      if (cur().type == T::kName && peek(1).type == T::kOperator && peek(1).text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        call.keywords.emplace_back(std::move(key), parse_expression());
      } else {
        if (!call.keywords.empty()) fail("a positional argument follows a keyword argument");
        call.args.push_back(parse_expression());
      }
      if (!is_op(")")) expect_op(",");
    }
  }

  ExprPtr parse_call(ExprPtr callee, int line) {  // after '('
    auto call = node(Expr::Kind::kCall, line);
    call->args.push_back(std::move(callee));
    parse_call_arguments(*call);
    return call;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      const int line = cur().line;
      if (skip_op(".")) {
        if (cur().type == T::kInteger) {
          auto item = node(Expr::Kind::kItem, line);
          item->args.push_back(std::move(e));
          item->args.push_back(literal(Value::integer(std::strtoll(cur().text.c_str(), nullptr, 10)), line));
          advance();
          e = std::move(item);
        } else {
          auto attr = node(Expr::Kind::kAttribute, line);
          attr->name = expect_name();
          attr->args.push_back(std::move(e));
          e = std::move(attr);
        }
      } else if (skip_op("[")) {
        ExprPtr start;
        if (!is_op(":")) start = parse_expression();
        if (skip_op("]")) {
          auto item = node(Expr::Kind::kItem, line);
          item->args.push_back(std::move(e));
          item->args.push_back(std::move(start));
          e = std::move(item);
          continue;
        }
        expect_op(":");
        auto slice = node(Expr::Kind::kSlice, line);
        slice->args.push_back(std::move(e));
        slice->args.push_back(std::move(start));
        slice->args.push_back(is_op(":") || is_op("]") ? nullptr : parse_expression());
        ExprPtr step;
        if (skip_op(":") && !is_op("]")) step = parse_expression();
        slice->args.push_back(std::move(step));
        expect_op("]");
        e = std::move(slice);
      } else if (skip_op("(")) {
        e = parse_call(std::move(e), line);
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_filter_chain(ExprPtr e) {
    while (true) {
      const int line = cur().line;
      if (skip_op("|")) {
        auto filter = node(Expr::Kind::kFilter, line);
        filter->name = expect_name();
        filter->args.push_back(std::move(e));
        if (skip_op("(")) parse_call_arguments(*filter);
        e = std::move(filter);
      } else if (skip_name("is")) {
        auto test = node(Expr::Kind::kTest, line);
        test->negated = skip_name("not");
        test->name = expect_name();
        test->args.push_back(std::move(e));
        if (skip_op("(")) {
          parse_call_arguments(*test);
        } else if ((cur().type == T::kName || cur().type == T::kString || cur().type == T::kInteger ||
                    cur().type == T::kFloat || is_op("(") || is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) fail("tests cannot be chained with 'is'");
          test->args.push_back(parse_postfix(parse_primary()));
        }
        e = std::move(test);
      } else if (skip_op("(")) {
        e = parse_call(std::move(e), line);
      } else {
        return e;
      }
    }
  }

  const std::vector<Token>& tokens_;
  const std::string& name_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, const std::string& template_name) {
  return Parser(tokens, template_name).parse_template();
}

}  // namespace aimicius::jinja
