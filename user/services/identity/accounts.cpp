#include "user/services/identity/accounts.h"

namespace capos::identity {

namespace {

bool b64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Splits off the next space-separated field.
StrView field(StrView& s) {
  size_t i = 0;
  while (i < s.size() && s.ptr[i] != ' ') ++i;
  StrView f = s.substr(0, i);
  s = s.substr(i < s.size() ? i + 1 : i);
  return f;
}

}  // namespace

const Account* AccountTable::find(StrView user) const {
  for (size_t i = 0; i < count; ++i)
    if (StrView(items[i].user) == user) return &items[i];
  return nullptr;
}

Status AccountTable::add(StrView user, AccountProfile profile, StrView verifier) {
  if (!valid_user(user) || !valid_verifier(verifier)) return fail(Err::InvalidArgument);
  if (find(user)) return fail(Err::AlreadyExists);
  if (count == kMaxAccounts) return fail(Err::LimitExceeded);
  Account& a = items[count++];
  a = Account{};
  memcpy(a.user, user.ptr, user.size());
  a.profile = profile;
  memcpy(a.verifier, verifier.ptr, verifier.size());
  return {};
}

bool valid_user(StrView s) {
  if (s.empty() || s.size() > kMaxUser) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s.ptr[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}

bool valid_verifier(StrView s) {
  StrView prefix(kVerifierPrefix);
  if (s.size() > kMaxVerifier || s.size() <= prefix.size() || !(s.substr(0, prefix.size()) == prefix)) return false;
  // <salt b64>$<tag b64>: unpadded base64, salt >= 8 bytes (11 chars), tag 32 bytes (43 chars).
  StrView rest = s.substr(prefix.size());
  size_t dollar = rest.size();
  for (size_t i = 0; i < rest.size(); ++i)
    if (rest.ptr[i] == '$') {
      dollar = i;
      break;
    }
  if (dollar == rest.size() || dollar < 11) return false;
  StrView salt = rest.substr(0, dollar), tag = rest.substr(dollar + 1);
  if (tag.size() != 43) return false;
  for (size_t i = 0; i < salt.size(); ++i)
    if (!b64_char(salt.ptr[i])) return false;
  for (size_t i = 0; i < tag.size(); ++i)
    if (!b64_char(tag.ptr[i])) return false;
  return true;
}

Status parse_accounts(StrView text, AccountTable& out, ParseError* error) {
  size_t line_no = 0;
  auto bad = [&](Err e, const char* what) {
    out = AccountTable{};
    if (error) *error = ParseError{e, line_no, what};
    return fail(e);
  };
  if (out.count) return bad(Err::InvalidArgument, "table not empty");
  while (!text.empty()) {
    ++line_no;
    size_t n = 0;
    while (n < text.size() && text.ptr[n] != '\n') ++n;
    StrView line = text.substr(0, n);
    text = text.substr(n < text.size() ? n + 1 : n);
    if (line.empty() || line.ptr[0] == '#') continue;
    StrView user = field(line), prof = field(line), ver = field(line);
    if (!line.empty()) return bad(Err::InvalidArgument, "more than three fields");
    if (!valid_user(user)) return bad(Err::InvalidArgument, "bad user name");
    AccountProfile p;
    if (prof == "operator") p = AccountProfile::Operator;
    else if (prof == "guest") p = AccountProfile::Guest;
    else return bad(Err::InvalidArgument, "profile must be operator or guest");
    if (!valid_verifier(ver)) return bad(Err::InvalidArgument, "not an Argon2id verifier with the documented parameters");
    if (Status st = out.add(user, p, ver); !st)
      return bad(st.error(), st.error() == Err::AlreadyExists ? "duplicate user" : "too many accounts");
  }
  return {};
}

}  // namespace capos::identity
