#include "user/shell/grants.h"

namespace capos::shell {

namespace {

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

class Parser {
 public:
  explicit Parser(StrView s) : s_(s) {}

  Result<LaunchLine, SyntaxError> run() {
    LaunchLine out;
    skip_ws();
    out.command = name();
    if (out.command.empty()) return err("expected `run` or `spawn`");
    if (!(out.command == "run") && !(out.command == "spawn")) return err_at(0, "expected `run` or `spawn`");
    if (!ws1()) return err("expected a space");
    if (peek() != '"') return err("expected a quoted binary name, like \"demo\"");
    ++pos_;
    size_t start = pos_;
    out.binary = name();
    if (out.binary.empty()) return err("expected a binary name (letters, digits, '.', '_', '-')");
    if (out.binary.size() > 32) return err_at(start, "a binary name has at most 32 characters");
    if (peek() != '"') return err("expected the closing '\"'");
    ++pos_;
    bool had_ws = ws1();
    while (had_ws && peek() == '"') {
      size_t open_at = pos_;
      if (out.n_args == LaunchLine::kMaxArgs) return err("at most 15 arguments");
      ++pos_;
      size_t start = pos_;
      while (!at_end() && peek() != '"') {
        uint8_t c = static_cast<uint8_t>(peek());
        if (c < 0x20 || c >= 0x7f) return err("an argument is printable ASCII");
        ++pos_;
      }
      if (at_end()) return err_at(open_at, "this argument has no closing '\"'");
      if (pos_ - start > LaunchLine::kMaxArgBytes) return err_at(start, "an argument has at most 128 characters");
      out.args[out.n_args++] = s_.substr(start, pos_ - start);
      ++pos_;
      had_ws = ws1();
    }
    if (at_end()) return out;
    if (!had_ws) return err("expected a space, then an argument or `with`");
    size_t with_at = pos_;
    if (!(name() == "with")) return err_at(with_at, "expected a quoted argument, `with { ... }` or the end of the line");
    skip_ws();
    if (peek() != '{') return err("expected '{'");
    ++pos_;
    skip_ws();
    while (peek() != '}') {
      if (at_end()) return err("expected '}'");
      if (out.n_grants == LaunchLine::kMaxGrants) return err("at most 16 grants");
      Grant g;
      size_t name_at = pos_;
      g.child = name();
      if (g.child.empty()) return err("expected a grant name");
      if (g.child.size() > 32) return err_at(name_at, "a grant name has at most 32 characters");
      for (size_t i = 0; i < out.n_grants; ++i)
        if (out.grants[i].child == g.child) return err_at(name_at, "this name is granted twice");
      skip_ws();
      if (peek() != ':') return err("expected ':' after the grant name");
      ++pos_;
      skip_ws();
      if (peek() != '@') {
        size_t kw = pos_;
        StrView w = name();
        if (w == "new") {
          if (!ws1()) return err("expected a space after `new`");
          size_t kind_at = pos_;
          g.local_kind = name();
          if (g.local_kind.empty()) return err("expected a kind after `new` (like threadSpawner)");
          if (g.local_kind.size() > 32) return err_at(kind_at, "a kind has at most 32 characters");
          out.grants[out.n_grants++] = g;
          skip_ws();
          if (peek() == ',') {
            ++pos_;
            skip_ws();
          } else if (peek() != '}') {
            return err("expected ',' or '}'");
          }
          continue;
        }
        if (w == "ro") {
          g.read_only = true;
          if (!ws1()) return err("expected a space after `ro`");
        } else {
          if (!(w == "client")) return err_at(kw, "expected '@name', 'client @name', 'ro @name' or 'new <kind>'");
          g.client = true;
          if (!ws1()) return err("expected a space after `client`");
        }
      }
      if (peek() != '@') return err("expected '@'");
      ++pos_;
      size_t src_at = pos_;
      g.source = name();
      if (g.source.empty()) return err("expected a capability name after '@'");
      if (g.source.size() > 32) return err_at(src_at, "a capability name has at most 32 characters");
      if (peek() == '/') {
        size_t path_at = pos_ + 1;
        for (size_t names = 0; peek() == '/'; ++names) {
          ++pos_;
          size_t at = pos_;
          StrView d = name();
          if (d.empty()) return err("expected a directory name after '/'");
          if (d == "." || d == "..") return err_at(at, "a directory grant only descends: no '.' or '..'");
          if (names == 8) return err_at(at, "at most 8 directory names");
        }
        g.path = s_.substr(path_at, pos_ - path_at);
        if (g.client) return err_at(path_at - 1, "`client` passes an endpoint, not a directory");
      }
      out.grants[out.n_grants++] = g;
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        skip_ws();
      } else if (peek() != '}') {
        return err("expected ',' or '}'");
      }
    }
    ++pos_;  // '}'
    skip_ws();
    if (!at_end()) return err("unexpected text after '}'");
    return out;
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_.ptr[pos_] : '\0'; }
  bool at_end() const { return pos_ >= s_.size(); }
  void skip_ws() {
    while (peek() == ' ') ++pos_;
  }
  bool ws1() {
    size_t p = pos_;
    skip_ws();
    return pos_ > p;
  }
  StrView name() {
    size_t start = pos_;
    while (name_char(peek())) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  Failure<SyntaxError> err(const char* m) const { return err_at(pos_, m); }
  Failure<SyntaxError> err_at(size_t at, const char* m) const { return fail(SyntaxError{at + 1, m}); }

  StrView s_;
  size_t pos_ = 0;
};

}  // namespace

bool is_launch_syntax(StrView line) {
  size_t i = 0;
  while (i < line.size() && line.ptr[i] == ' ') ++i;
  while (i < line.size() && line.ptr[i] != ' ') ++i;
  while (i < line.size() && line.ptr[i] == ' ') ++i;
  return i < line.size() && line.ptr[i] == '"';
}

Result<LaunchLine, SyntaxError> parse_launch(StrView line) { return Parser(line).run(); }

}  // namespace capos::shell
