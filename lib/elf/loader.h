// Static ELF64 load planner: validates an untrusted user program image and,
// if every rule holds, describes the mappings the kernel must create. It
// never touches memory other than `image`; mapping and copying are the
// caller's job. Rules and their reasons: docs/elf.md.
#pragma once

#include "lib/abi/layout.h"
#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/elf/elf64.h"

namespace capos::elf {

// Every rejection, listed once: (code, Err returned, one-line reason the
// kernel prints). Tests assert the code, so each rule is distinguishable.
#define CAPOS_ELF_REJECTIONS(X)                                                         \
  X(Truncated, Truncated, "image smaller than the ELF header")                        \
  X(BadMagic, Corrupt, "bad ELF magic")                                               \
  X(BadClass, Unsupported, "not ELFCLASS64")                                          \
  X(BadData, Unsupported, "not little endian (ELFDATA2LSB)")                          \
  X(BadIdentVersion, Unsupported, "e_ident version is not EV_CURRENT")                \
  X(BadOsAbi, Unsupported, "OS ABI is not SYSV")                                      \
  X(BadAbiVersion, Unsupported, "ABI version is not 0")                               \
  X(NotExecutable, Unsupported, "e_type is not ET_EXEC (PIE/dynamic/relocatable)")    \
  X(BadMachine, Unsupported, "e_machine is not x86_64")                               \
  X(BadVersion, Unsupported, "e_version is not EV_CURRENT")                           \
  X(BadEhsize, Corrupt, "e_ehsize is not sizeof(Elf64_Ehdr)")                         \
  X(BadPhentsize, Corrupt, "e_phentsize is not sizeof(Elf64_Phdr)")                   \
  X(NoPhdrs, Corrupt, "no program headers")                                           \
  X(TooManyPhdrs, LimitExceeded, "too many program headers")                          \
  X(PhdrsOutsideFile, OutOfRange, "program header table outside the file")            \
  X(Interp, Unsupported, "PT_INTERP: dynamic linking is not supported")               \
  X(Dynamic, Unsupported, "PT_DYNAMIC: dynamic linking is not supported")             \
  X(UnknownSegmentType, Unsupported, "program header type not accepted")              \
  X(DuplicateSegment, Corrupt, "PT_PHDR/PT_TLS/PT_GNU_STACK appears twice")           \
  X(ExecutableStack, PermissionDenied, "PT_GNU_STACK requests an executable stack")   \
  X(BadPhdrSegment, Corrupt, "PT_PHDR does not describe the program header table")    \
  X(SegmentFileRange, OutOfRange, "segment file range outside the image")             \
  X(FileszExceedsMemsz, Corrupt, "p_filesz > p_memsz")                                \
  X(UnknownFlags, Unsupported, "PT_LOAD has flag bits other than R/W/X")              \
  X(NoAccess, InvalidArgument, "PT_LOAD has no R/W/X permission")                     \
  X(WriteAndExecute, PermissionDenied, "PT_LOAD is both writable and executable")     \
  X(EmptySegment, Corrupt, "PT_LOAD with p_memsz == 0")                               \
  X(BadAlign, Corrupt, "p_align is not a power of two >= the page size")              \
  X(MisalignedOffset, Corrupt, "p_vaddr and p_offset differ modulo the page size")    \
  X(AddressOverflow, OutOfRange, "segment address range overflows")                   \
  X(BelowImageMin, OutOfRange, "segment below USER_IMAGE_MIN")                        \
  X(AboveImageMax, OutOfRange, "segment at or above USER_IMAGE_MAX (stack side)")     \
  X(TooManySegments, LimitExceeded, "more PT_LOAD segments than USER_IMAGE_MAX_SEGMENTS") \
  X(Unsorted, Corrupt, "PT_LOAD segments not in ascending p_vaddr order")             \
  X(Overlap, InvalidArgument, "PT_LOAD segments share a page")                        \
  X(ImageTooLarge, LimitExceeded, "mapped image larger than USER_IMAGE_MAX_BYTES")    \
  X(NoLoadSegment, InvalidArgument, "no PT_LOAD segment")                             \
  X(EntryNotExecutable, InvalidArgument, "entry point not in an executable segment's file data") \
  X(BadTlsAlign, Corrupt, "PT_TLS p_align is not 0 or a power of two <= the page size") \
  X(TlsOutsideLoad, OutOfRange, "PT_TLS initialization image not inside a PT_LOAD's file data")

enum class Reject : uint8_t {
  None = 0,
#define CAPOS_X(code, err, text) code,
  CAPOS_ELF_REJECTIONS(CAPOS_X)
#undef CAPOS_X
};

const char* reject_reason(Reject r);
Err reject_err(Reject r);

// plan_load's error: which rule, why (static text), and which program
// header (-1 when the ELF header itself is at fault).
struct Diagnostic {
  Reject code = Reject::None;
  const char* reason = "";
  int32_t phdr_index = -1;
  Err err() const { return reject_err(code); }
};

// Limit on e_phnum. Real static binaries have < 12; the bound keeps the
// O(n) scan and the fuzzer's work small and rejects PN_XNUM (0xffff).
constexpr uint32_t MAX_PHDRS = 64;

// One mapping. The kernel maps [vaddr, vaddr + mem_size) zero-filled with
// `flags`, then copies image[file_offset, file_offset + file_size) to
// vaddr + page_offset. vaddr and mem_size are page multiples.
struct Segment {
  uint64_t vaddr;        // page-aligned start (align_down(p_vaddr))
  uint64_t mem_size;     // page-rounded length of the mapping
  uint64_t file_offset;  // p_offset
  uint64_t file_size;    // p_filesz (bytes to copy; the rest is zero)
  uint64_t page_offset;  // p_vaddr - vaddr
  uint32_t flags;        // PF_R | PF_W | PF_X subset; never W and X together

  bool readable() const { return (flags & PF_R) != 0; }
  bool writable() const { return (flags & PF_W) != 0; }
  bool executable() const { return (flags & PF_X) != 0; }
};

// PT_TLS as recorded for the thread layer (not yet consumed): the
// initialization image lives at [vaddr, vaddr + file_size) in a loaded segment.
struct TlsTemplate {
  uint64_t vaddr;
  uint64_t file_size;
  uint64_t mem_size;
  uint64_t align;
};

struct LoadPlan {
  uint64_t entry = 0;
  uint32_t segment_count = 0;
  Segment segments[abi::USER_IMAGE_MAX_SEGMENTS] = {};  // ascending vaddr, disjoint pages
  uint64_t total_bytes = 0;  // sum of mem_size: the frames the image needs
  bool has_tls = false;
  TlsTemplate tls = {};

  Span<const Segment> segment_span() const { return Span<const Segment>(segments, segment_count); }
};

// Validate `image` as a static x86_64 user program and plan its mappings,
// or say which rule it broke.
Result<LoadPlan, Diagnostic> plan_load(Bytes image);

}  // namespace capos::elf
