// The in-memory node of lib/fs (private to fs.cpp and fs_commit.cpp).
#pragma once

#include "lib/fs/fs.h"

namespace capos::fs {

struct Filesystem::Node {
  uint64_t serial;     // unique for this mount; NodeRefs check it
  uint32_t parent;     // index of the parent directory (root: itself, 0)
  Kind kind;
  uint8_t name_len;
  char name[kNameMax];
  uint64_t size;
  uint64_t modified;   // generation of the last change
  uint32_t* blocks;    // device block of each file block, 0 = hole
  uint64_t nblocks;    // ceil(size / kBlockSize) entries in use
  uint64_t cap;        // entries allocated
};

}  // namespace capos::fs
