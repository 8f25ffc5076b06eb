// mkmanifest's one error type: a complete one-line explanation of why the
// configuration was rejected (main() prints it as `mkmanifest: error: ...`).
#pragma once

#include <stdexcept>

namespace capos::mkmanifest {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace capos::mkmanifest
