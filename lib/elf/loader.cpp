// Static ELF64 load planner. Every value read from the image is untrusted:
// offsets and sizes go through add_overflow/mul_overflow before use, and
// headers are copied out with memcpy (no alignment assumptions).
#include "lib/elf/loader.h"

#include "lib/core/cstring.h"

namespace capos::elf {

namespace {

constexpr uint64_t PAGE = abi::PAGE_SIZE;

// The lowest address a maximal user stack (plus its guard page) can reach.
// Images end at USER_IMAGE_MAX, so checking that bound also keeps every
// segment below the stack; this assert pins the relationship.
constexpr uint64_t STACK_FLOOR =
    abi::USER_STACK_TOP - (abi::USER_STACK_MAX_PAGES + 1) * abi::PAGE_SIZE;
static_assert(abi::USER_IMAGE_MAX <= STACK_FLOOR, "image window must end below the stack");
static_assert(is_aligned(abi::USER_IMAGE_MIN, PAGE) && is_aligned(abi::USER_IMAGE_MAX, PAGE),
              "image window is page aligned");
static_assert(abi::USER_IMAGE_MIN > 0, "page 0 must never be mapped");
// align_up on an end <= USER_IMAGE_MAX cannot overflow because of this.
static_assert(abi::USER_IMAGE_MAX <= ~uint64_t{0} - PAGE, "align_up headroom");

Failure<Diagnostic> reject(Reject code, int32_t phdr_index = -1) {
  return fail(Diagnostic{code, reject_reason(code), phdr_index});
}

Result<Elf64_Ehdr, Diagnostic> check_header(Bytes image) {
  if (image.size() < sizeof(Elf64_Ehdr)) return reject(Reject::Truncated);
  Elf64_Ehdr eh;
  memcpy(&eh, image.data(), sizeof eh);

  if (memcmp(eh.e_ident + EI_MAG0, ELFMAG, sizeof ELFMAG) != 0) return reject(Reject::BadMagic);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return reject(Reject::BadClass);
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return reject(Reject::BadData);
  if (eh.e_ident[EI_VERSION] != EV_CURRENT) return reject(Reject::BadIdentVersion);
  if (eh.e_ident[EI_OSABI] != ELFOSABI_SYSV) return reject(Reject::BadOsAbi);
  if (eh.e_ident[EI_ABIVERSION] != 0) return reject(Reject::BadAbiVersion);
  // ET_DYN covers PIE: we have no relocator, so only fixed-address images.
  if (eh.e_type != ET_EXEC) return reject(Reject::NotExecutable);
  if (eh.e_machine != EM_X86_64) return reject(Reject::BadMachine);
  if (eh.e_version != EV_CURRENT) return reject(Reject::BadVersion);
  if (eh.e_ehsize != sizeof(Elf64_Ehdr)) return reject(Reject::BadEhsize);

  if (eh.e_phnum == 0) return reject(Reject::NoPhdrs);
  if (eh.e_phnum > MAX_PHDRS) return reject(Reject::TooManyPhdrs);
  // Exact size, not ">=": a larger entry would mean a format we do not know.
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return reject(Reject::BadPhentsize);
  uint64_t table_bytes, table_end;
  if (mul_overflow<uint64_t>(eh.e_phnum, sizeof(Elf64_Phdr), &table_bytes) ||
      add_overflow<uint64_t>(eh.e_phoff, table_bytes, &table_end) || table_end > image.size())
    return reject(Reject::PhdrsOutsideFile);
  return eh;
}

// Validates one PT_LOAD and appends it to the plan.
Result<void, Diagnostic> add_load(LoadPlan& plan, const Elf64_Phdr& ph, int32_t idx) {
  if ((ph.p_flags & ~PF_RWX) != 0) return reject(Reject::UnknownFlags, idx);
  if ((ph.p_flags & PF_RWX) == 0) return reject(Reject::NoAccess, idx);
  // W^X: a page the program can both write and run is an injection target.
  if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X)) return reject(Reject::WriteAndExecute, idx);
  if (ph.p_memsz == 0) return reject(Reject::EmptySegment, idx);
  if (ph.p_filesz > ph.p_memsz) return reject(Reject::FileszExceedsMemsz, idx);
  if (!is_pow2(ph.p_align) || ph.p_align < PAGE) return reject(Reject::BadAlign, idx);
  // The file bytes land at the same in-page offset as their address, so a
  // segment is one copy into freshly mapped pages.
  if (ph.p_vaddr % PAGE != ph.p_offset % PAGE) return reject(Reject::MisalignedOffset, idx);

  uint64_t end;
  if (add_overflow(ph.p_vaddr, ph.p_memsz, &end)) return reject(Reject::AddressOverflow, idx);
  const uint64_t start = align_down(ph.p_vaddr, PAGE);
  if (start < abi::USER_IMAGE_MIN) return reject(Reject::BelowImageMin, idx);
  if (end > abi::USER_IMAGE_MAX) return reject(Reject::AboveImageMax, idx);
  const uint64_t page_end = align_up(end, PAGE);  // cannot overflow: end <= USER_IMAGE_MAX

  if (plan.segment_count == abi::USER_IMAGE_MAX_SEGMENTS)
    return reject(Reject::TooManySegments, idx);
  // Page granularity: permissions are per page, so two segments sharing a
  // page would force one of them to take the other's permissions (a W page
  // turning X, or R data turning W). Ascending order (gABI requires it)
  // reduces the overlap test to a comparison with the previous segment.
  if (plan.segment_count > 0) {
    const Segment& prev = plan.segments[plan.segment_count - 1];
    if (start < prev.vaddr + prev.mem_size)
      return reject(page_end > prev.vaddr ? Reject::Overlap : Reject::Unsorted, idx);
  }

  const uint64_t mem_size = page_end - start;
  uint64_t total;
  if (add_overflow(plan.total_bytes, mem_size, &total) || total > abi::USER_IMAGE_MAX_BYTES)
    return reject(Reject::ImageTooLarge, idx);

  plan.segments[plan.segment_count++] = Segment{
      .vaddr = start,
      .mem_size = mem_size,
      .file_offset = ph.p_offset,
      .file_size = ph.p_filesz,
      .page_offset = ph.p_vaddr - start,
      .flags = ph.p_flags,
  };
  plan.total_bytes = total;
  return {};
}

// [lo, lo + len), len > 0, inside the file-backed bytes of some loaded segment,
// optionally only executable ones. Segment values were validated already.
bool in_file_data(const LoadPlan& plan, uint64_t lo, uint64_t len, bool need_exec) {
  uint64_t hi;
  if (add_overflow(lo, len, &hi)) return false;
  for (const Segment& s : plan.segment_span()) {
    if (need_exec && !s.executable()) continue;
    const uint64_t data_lo = s.vaddr + s.page_offset;
    const uint64_t data_hi = data_lo + s.file_size;
    if (lo >= data_lo && hi <= data_hi) return true;
  }
  return false;
}

}  // namespace

const char* reject_reason(Reject r) {
  switch (r) {
    case Reject::None: return "ok";
#define CAPOS_X(code, err, text) \
  case Reject::code: return text;
    CAPOS_ELF_REJECTIONS(CAPOS_X)
#undef CAPOS_X
  }
  return "unknown rejection";
}

Err reject_err(Reject r) {
  switch (r) {
    case Reject::None: return Err::InvalidArgument;  // not a rejection; never returned
#define CAPOS_X(code, err, text) \
  case Reject::code: return Err::err;
    CAPOS_ELF_REJECTIONS(CAPOS_X)
#undef CAPOS_X
  }
  return Err::InvalidArgument;
}

Result<LoadPlan, Diagnostic> plan_load(Bytes image) {
  const Elf64_Ehdr eh = CAPOS_TRY(check_header(image));
  const uint64_t table_bytes = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);  // checked above

  LoadPlan plan;
  plan.entry = eh.e_entry;
  bool seen_phdr = false, seen_stack = false;
  int32_t tls_idx = -1;

  for (uint32_t i = 0; i < eh.e_phnum; ++i) {
    const int32_t idx = static_cast<int32_t>(i);
    Elf64_Phdr ph;
    memcpy(&ph, image.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);

    switch (ph.p_type) {
      case PT_LOAD: case PT_NOTE: case PT_PHDR: case PT_TLS:
      case PT_GNU_STACK: case PT_GNU_PROPERTY:
        break;
      case PT_INTERP: return reject(Reject::Interp, idx);
      case PT_DYNAMIC: return reject(Reject::Dynamic, idx);
      // Anything else (PT_GNU_RELRO, PT_GNU_EH_FRAME, PT_SHLIB, OS/processor
      // types) asks for semantics we do not implement: refuse, don't guess.
      default: return reject(Reject::UnknownSegmentType, idx);
    }

    // Every accepted entry's file range must lie in the image, even the
    // ones we do not map, so no later consumer can be pointed outside it.
    uint64_t file_end;
    if (add_overflow(ph.p_offset, ph.p_filesz, &file_end) || file_end > image.size())
      return reject(Reject::SegmentFileRange, idx);

    switch (ph.p_type) {
      case PT_LOAD:
        CAPOS_TRY_STATUS(add_load(plan, ph, idx));
        break;
      case PT_GNU_STACK:
        if (seen_stack) return reject(Reject::DuplicateSegment, idx);
        seen_stack = true;
        // We never map an executable stack; say so instead of silently ignoring it.
        if (ph.p_flags & PF_X) return reject(Reject::ExecutableStack, idx);
        break;
      case PT_PHDR:
        if (seen_phdr) return reject(Reject::DuplicateSegment, idx);
        seen_phdr = true;
        if (ph.p_offset != eh.e_phoff || ph.p_filesz != table_bytes)
          return reject(Reject::BadPhdrSegment, idx);
        break;
      case PT_TLS: {
        if (plan.has_tls) return reject(Reject::DuplicateSegment, idx);
        if (ph.p_filesz > ph.p_memsz) return reject(Reject::FileszExceedsMemsz, idx);
        // 0 and 1 both mean "no alignment"; > page would need a special allocator.
        if (ph.p_align > 1 && (!is_pow2(ph.p_align) || ph.p_align > PAGE))
          return reject(Reject::BadTlsAlign, idx);
        uint64_t tls_end;
        if (add_overflow(ph.p_vaddr, ph.p_memsz, &tls_end))
          return reject(Reject::AddressOverflow, idx);
        plan.has_tls = true;
        tls_idx = idx;
        plan.tls = TlsTemplate{ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_align};
        break;
      }
      default:  // PT_NOTE, PT_GNU_PROPERTY: informational, nothing to map.
        break;
    }
  }

  if (plan.segment_count == 0) return reject(Reject::NoLoadSegment);
  // Entry must hit loaded instructions: not bss (zeros), not a data page.
  if (!in_file_data(plan, plan.entry, 1, true)) return reject(Reject::EntryNotExecutable);
  // The TLS initialization image is copied from the loaded segment per thread.
  if (plan.has_tls && plan.tls.file_size > 0 &&
      !in_file_data(plan, plan.tls.vaddr, plan.tls.file_size, false))
    return reject(Reject::TlsOutsideLoad, tls_idx);
  return plan;
}

}  // namespace capos::elf
