// mkmanifest: validates a CUE-exported JSON configuration, embeds the named
// binaries from --bin-dir and writes manifest.bin (a standard Cap'n Proto
// SystemManifest message). Every failure is one line on stderr and a
// non-zero exit; the output file is written to a temporary name and renamed
// only on success, so no partial manifest is ever left behind.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "lib/elf/loader.h"
#include "lib/manifest/validate.h"
#include "tools/mkmanifest/interface_names.h"
#include "tools/mkmanifest/json_decode.h"
#include "tools/mkmanifest/to_model.h"

namespace mm = capos::manifest;
using capos::mkmanifest::ConfigError;

namespace {

constexpr const char* kUsage =
    "usage: mkmanifest --bin-dir DIR -o OUTPUT CONFIG.json\n"
    "  CONFIG.json  exported configuration (`-` reads stdin); see docs/configuration.md\n"
    "  --bin-dir    directory holding one file per binary named in the configuration\n"
    "  -o           manifest.bin to write (replaced atomically on success)\n";

std::string read_input(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) throw ConfigError("cannot read " + path + ": " + std::strerror(errno));
    in = &file;
  }
  std::string data;
  char buf[65536];
  while (in->read(buf, sizeof buf) || in->gcount() > 0) {
    data.append(buf, static_cast<size_t>(in->gcount()));
    if (data.size() > capos::mkmanifest::kMaxJsonBytes) break;  // decode reports the size
  }
  return data;
}

void check(const mm::Manifest& model, bool with_data) {
  mm::Options opt;
  opt.require_binary_data = with_data;
  opt.interface_name = capos::mkmanifest::interface_name;
  auto r = mm::validate(model, opt);
  if (!r.ok()) throw ConfigError(r.error().message);
}

// A program must pass the same ELF rules the kernel applies when it loads
// it (lib/elf), so a bad image fails the build, not a spawn at run time.
void check_program(const std::string& name, const std::string& path, capnp::Data::Reader data) {
  auto plan = capos::elf::plan_load(capos::Bytes(data.begin(), data.size()));
  if (plan.ok()) return;
  capos::elf::Diagnostic d = plan.error();
  throw ConfigError("binary `" + name + "` (" + path + ") is not a loadable program: " + d.reason +
                    (d.phdr_index >= 0 ? " (program header " + std::to_string(d.phdr_index) + ")" : "") +
                    "; a file that is not a program must be declared with kind \"data\"");
}

// Reads each named binary into its Binary.data. Names were validated first
// (no '/', no "..") so they are safe path components.
void embed_binaries(capos::schema::SystemManifest::Builder root, const std::string& bin_dir) {
  for (auto b : root.getBinaries()) {
    std::string name = b.getName().cStr();
    std::string path = bin_dir + "/" + name;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        throw ConfigError("binary `" + name + "` not found: " + path + " does not exist");
      }
      throw ConfigError("cannot read binary `" + name + "`: " + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
      throw ConfigError("binary `" + name + "`: " + path + " is not a regular file");
    }
    if (static_cast<uint64_t>(st.st_size) > mm::kMaxBinaryBytes) {
      throw ConfigError("binary `" + name + "` is " + std::to_string(st.st_size) +
                        " bytes (at most " + std::to_string(mm::kMaxBinaryBytes) + ")");
    }
    std::ifstream f(path, std::ios::binary);
    auto data = b.initData(static_cast<unsigned>(st.st_size));
    if (!f.read(reinterpret_cast<char*>(data.begin()), static_cast<std::streamsize>(data.size()))) {
      throw ConfigError("cannot read binary `" + name + "` from " + path + ": " +
                        std::strerror(errno));
    }
    if (b.getKind() == capos::schema::BinaryKind::PROGRAM) check_program(name, path, data);
  }
}

void write_atomically(const std::string& out, kj::ArrayPtr<const capnp::word> words) {
  std::string tmp = out + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw ConfigError("cannot create " + tmp + ": " + std::strerror(errno));
  auto bytes = words.asBytes();
  size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    ssize_t n = write(fd, bytes.begin() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  int saved = errno;
  ok = ok && fsync(fd) == 0;
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), out.c_str()) != 0) {
    saved = errno ? errno : saved;
    unlink(tmp.c_str());
    throw ConfigError("cannot write " + out + ": " + std::strerror(saved));
  }
}

int run(int argc, char** argv) {
  std::string bin_dir, output, input;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--bin-dir" || a == "-o") && i + 1 < argc) {
      (a == "-o" ? output : bin_dir) = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (input.empty() && (a == "-" || a[0] != '-')) {
      input = a;
    } else {
      std::cerr << "mkmanifest: unexpected argument `" << a << "`\n" << kUsage;
      return 2;
    }
  }
  if (bin_dir.empty() || output.empty() || input.empty()) {
    std::cerr << kUsage;
    return 2;
  }

  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capos::schema::SystemManifest>();
  capos::mkmanifest::decode_manifest(read_input(input), root);
  {
    // Graph and names first (before touching the file system), then embed
    // and check sizes with the same validator.
    capos::mkmanifest::ModelStorage st;
    check(capos::mkmanifest::to_model(root.asReader(), st), false);
  }
  embed_binaries(root, bin_dir);
  capos::mkmanifest::ModelStorage st;
  check(capos::mkmanifest::to_model(root.asReader(), st), true);

  auto words = capnp::messageToFlatArray(message);
  write_atomically(output, words);
  std::cout << "mkmanifest: wrote " << output << " (" << root.getBinaries().size()
            << " binaries, " << root.getInitConfig().getServices().size() << " services, "
            << words.asBytes().size() << " bytes)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const ConfigError& e) {
    std::cerr << "mkmanifest: error: " << e.what() << "\n";
  } catch (const kj::Exception& e) {
    std::cerr << "mkmanifest: error: " << e.getDescription().cStr() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "mkmanifest: error: " << e.what() << "\n";
  }
  return 1;
}
