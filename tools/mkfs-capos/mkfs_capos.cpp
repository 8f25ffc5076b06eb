// mkfs-capos: build and check capOS filesystem images on the host with the
// same code fsd runs (lib/fs). An image is a raw disk file.
//
//   mkfs-capos format <image> <size>[K|M|G]   create (or overwrite) an empty filesystem
//   mkfs-capos check <image>                  mount it, walk every node, report; exit 1 if refused
//   mkfs-capos ls <image>                     list every path with its size
//   mkfs-capos mkdir <image> <path>           make a directory (parents must exist)
//   mkfs-capos put <image> <path> <host-file> write a file (replacing it), then sync
//   mkfs-capos cat <image> <path>             print a file
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lib/fs/fs.h"

using namespace capos;
using namespace capos::fs;

namespace {

class FileDevice final : public BlockStore {
 public:
  FileDevice(int fd, uint64_t blocks) : fd_(fd), blocks_(blocks) {}
  uint64_t block_count() const override { return blocks_; }
  FsStatus read(uint64_t block, uint32_t count, MutBytes out) override {
    ssize_t n = pread(fd_, out.data(), size_t{count} * kBlockSize, static_cast<off_t>(block * kBlockSize));
    if (n != static_cast<ssize_t>(size_t{count} * kBlockSize)) return fs_fail(Err::Failed, "image read failed");
    return {};
  }
  FsStatus write(uint64_t block, uint32_t count, Bytes data) override {
    ssize_t n = pwrite(fd_, data.data(), data.size(), static_cast<off_t>(block * kBlockSize));
    if (n != static_cast<ssize_t>(data.size())) return fs_fail(Err::Failed, "image write failed");
    return {};
  }
  FsStatus flush() override {
    if (fsync(fd_) != 0) return fs_fail(Err::Failed, "image fsync failed");
    return {};
  }

 private:
  int fd_;
  uint64_t blocks_;
};

class MallocAllocator final : public Allocator {
 public:
  void* alloc(size_t bytes) override { return std::malloc(bytes); }
  void release(void* p) override { std::free(p); }
};

int die(const char* what, const FsError& e) {
  std::fprintf(stderr, "mkfs-capos: %s: %s (%s)\n", what, e.detail, err_name(e.code));
  return 1;
}

bool parse_size(const char* s, uint64_t* out) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s) return false;
  uint64_t mul = 1;
  if (*end == 'K') mul = 1024, ++end;
  else if (*end == 'M') mul = 1024 * 1024, ++end;
  else if (*end == 'G') mul = 1024ull * 1024 * 1024, ++end;
  if (*end) return false;
  *out = v * mul;
  return true;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    if (slash > at) out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

StrView sv(const std::string& s) { return StrView(s.data(), s.size()); }

// The directory holding the last component of `path`, and that component.
FsResult<NodeRef> parent_of(Filesystem& fs, const std::string& path, std::string* leaf) {
  auto parts = split(path);
  if (parts.empty()) return fs_fail(Err::InvalidArgument, "empty path");
  NodeRef d = fs.root();
  for (size_t i = 0; i + 1 < parts.size(); ++i) d = CAPOS_TRY(fs.lookup(d, sv(parts[i])));
  *leaf = parts.back();
  return d;
}

void list(Filesystem& fs, NodeRef dir, const std::string& prefix, uint64_t* files, uint64_t* dirs, bool print) {
  for (uint64_t cursor = 0;;) {
    auto e = fs.next_entry(dir, cursor);
    if (!e) return;
    cursor = e->cursor;
    std::string path = prefix + "/" + std::string(e->name.ptr, e->name.len);
    if (e->kind == Kind::Dir) {
      ++*dirs;
      if (print) std::printf("%s/\n", path.c_str());
      list(fs, e->ref, path, files, dirs, print);
    } else {
      ++*files;
      if (print) std::printf("%s %llu\n", path.c_str(), static_cast<unsigned long long>(e->size));
    }
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: mkfs-capos format <image> <size>[K|M|G]\n"
               "       mkfs-capos check|ls <image>\n"
               "       mkfs-capos mkdir <image> <path>\n"
               "       mkfs-capos put <image> <path> <host-file>\n"
               "       mkfs-capos cat <image> <path>\n"
               "       mkfs-capos rm <image> <path>\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string cmd = argv[1];
  const char* image = argv[2];
  MallocAllocator mem;
  if (cmd == "format") {
    uint64_t size = 0;
    if (argc != 4 || !parse_size(argv[3], &size)) return usage();
    int fd = open(image, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) return std::perror(image), 1;
    FileDevice dev(fd, size / kBlockSize);
    Filesystem fs(dev, mem);
    if (auto st = fs.format(); !st) return die("format", st.error());
    std::printf("mkfs-capos: %s: capos-fs v2, %llu blocks of %u bytes\n", image,
                static_cast<unsigned long long>(dev.block_count()), kBlockSize);
    close(fd);
    return 0;
  }
  int fd = open(image, O_RDWR);
  struct stat stbuf;
  if (fd < 0 || fstat(fd, &stbuf) != 0) return std::perror(image), 1;
  FileDevice dev(fd, static_cast<uint64_t>(stbuf.st_size) / kBlockSize);
  Filesystem fs(dev, mem);
  if (auto st = fs.mount(); !st) return die("mount", st.error());
  uint64_t files = 0, dirs = 0;
  if (cmd == "check" || cmd == "ls") {
    list(fs, fs.root(), "", &files, &dirs, cmd == "ls");
    FsInfo info = fs.info();
    if (cmd == "check")
      std::printf("mkfs-capos: %s: consistent: generation %llu, %llu files, %llu directories, %llu of %llu blocks free\n",
                  image, static_cast<unsigned long long>(info.generation), static_cast<unsigned long long>(files),
                  static_cast<unsigned long long>(dirs), static_cast<unsigned long long>(info.free_blocks),
                  static_cast<unsigned long long>(info.total_blocks));
    return 0;
  }
  if (argc < 4) return usage();
  std::string leaf;
  auto dir = parent_of(fs, argv[3], &leaf);
  if (!dir) return die(argv[3], dir.error());
  if (cmd == "mkdir") {
    if (auto r = fs.create(*dir, sv(leaf), Kind::Dir); !r) return die("mkdir", r.error());
  } else if (cmd == "put") {
    if (argc != 5) return usage();
    FILE* in = std::fopen(argv[4], "rb");
    if (!in) return std::perror(argv[4]), 1;
    auto f = fs.lookup(*dir, sv(leaf));
    if (!f) f = fs.create(*dir, sv(leaf), Kind::File);
    if (!f) return die("put", f.error());
    if (auto st = fs.truncate(*f, 0); !st) return die("put", st.error());
    uint8_t buf[65536];
    uint64_t off = 0;
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), in)) > 0; off += n)
      if (auto st = fs.write(*f, off, Bytes(buf, n)); !st) return die("put", st.error());
    std::fclose(in);
  } else if (cmd == "rm") {
    if (argc != 4) return usage();
    if (auto st = fs.remove(*dir, sv(leaf)); !st) return die("rm", st.error());
  } else if (cmd == "cat") {
    auto f = fs.lookup(*dir, sv(leaf));
    if (!f) return die("cat", f.error());
    uint8_t buf[65536];
    for (uint64_t off = 0;;) {
      auto n = fs.read(*f, off, MutBytes(buf, sizeof(buf)));
      if (!n) return die("cat", n.error());
      if (*n == 0) break;
      std::fwrite(buf, 1, *n, stdout);
      off += *n;
    }
    return 0;
  } else {
    return usage();
  }
  if (auto st = fs.sync(); !st) return die("sync", st.error());
  return 0;
}
