#include "wire/fscc.h"

namespace ringsmb::wire {

namespace {
void put_times(uint8_t* p, const FileInfo& f) {
  st64(p, f.creation_time);
  st64(p + 8, f.last_access_time);
  st64(p + 16, f.last_write_time);
  st64(p + 24, f.change_time);
}
}  // namespace

void put_basic_info(Writer& w, const FileInfo& f) {
  size_t o = w.zeros(kBasicInfoSize);
  uint8_t* p = w.data() + o;
  put_times(p, f);
  st32(p + 32, f.attributes);
}

void put_standard_info(Writer& w, const FileInfo& f) {
  size_t o = w.zeros(kStandardInfoSize);
  uint8_t* p = w.data() + o;
  st64(p, f.allocation_size);
  st64(p + 8, f.end_of_file);
  st32(p + 16, f.nlink);
  st8(p + 20, f.delete_pending ? 1 : 0);
  st8(p + 21, f.directory ? 1 : 0);
}

void put_internal_info(Writer& w, const FileInfo& f) { w.u64(f.file_id); }

void put_network_open_info(Writer& w, const FileInfo& f) {
  size_t o = w.zeros(kNetworkOpenInfoSize);
  uint8_t* p = w.data() + o;
  put_times(p, f);
  st64(p + 32, f.allocation_size);
  st64(p + 40, f.end_of_file);
  st32(p + 48, f.attributes);
}

void put_attribute_tag_info(Writer& w, const FileInfo& f) {
  w.u32(f.attributes);
  w.u32(0);  // ReparseTag
}

void put_name_info(Writer& w, Bytes name_utf16) {
  w.u32(static_cast<uint32_t>(name_utf16.size()));
  w.append(name_utf16);
}

void put_all_info(Writer& w, const FileInfo& f, uint32_t access_flags, uint64_t position,
                  uint32_t mode, Bytes name_utf16) {
  put_basic_info(w, f);
  put_standard_info(w, f);
  put_internal_info(w, f);
  w.u32(f.ea_size);       // FileEaInformation
  w.u32(access_flags);    // FileAccessInformation
  w.u64(position);        // FilePositionInformation
  w.u32(mode);            // FileModeInformation
  w.u32(0);               // FileAlignmentInformation: byte aligned
  put_name_info(w, name_utf16);
}

bool is_directory_info_class(uint8_t cls) {
  switch (cls) {
    case fileinfo::Directory:
    case fileinfo::FullDirectory:
    case fileinfo::BothDirectory:
    case fileinfo::Names:
    case fileinfo::IdBothDirectory:
    case fileinfo::IdFullDirectory:
    case fileinfo::IdExtdDirectory:
      return true;
    default:
      return false;
  }
}

namespace {
size_t fixed_size(uint8_t cls) {
  switch (cls) {
    case fileinfo::Directory: return 64;
    case fileinfo::FullDirectory: return 68;
    case fileinfo::BothDirectory: return 94;
    case fileinfo::Names: return 12;
    case fileinfo::IdBothDirectory: return 104;
    case fileinfo::IdFullDirectory: return 80;
    case fileinfo::IdExtdDirectory: return 88;
    default: return 0;
  }
}
}  // namespace

size_t dir_entry_size(uint8_t cls, size_t name_bytes) { return fixed_size(cls) + name_bytes; }

void put_dir_entry(Writer& w, uint8_t cls, const FileInfo& f, uint32_t file_index,
                   Bytes name_utf16, Bytes short_utf16) {
  if (short_utf16.size() > 24) short_utf16 = short_utf16.subspan(0, 24);
  const size_t fixed = fixed_size(cls);
  size_t o = w.zeros(fixed);
  uint8_t* p = w.data() + o;
  st32(p + 4, file_index);
  const auto name_len = static_cast<uint32_t>(name_utf16.size());
  if (cls == fileinfo::Names) {
    st32(p + 8, name_len);
  } else {
    // Common prefix of every other class (2.4.8).
    put_times(p + 8, f);
    st64(p + 40, f.end_of_file);
    st64(p + 48, f.allocation_size);
    st32(p + 56, f.attributes);
    st32(p + 60, name_len);
    switch (cls) {
      case fileinfo::FullDirectory:
        st32(p + 64, f.ea_size);
        break;
      case fileinfo::BothDirectory:
      case fileinfo::IdBothDirectory:
        st32(p + 64, f.ea_size);
        st8(p + 68, static_cast<uint8_t>(short_utf16.size()));
        if (!short_utf16.empty()) std::memcpy(p + 70, short_utf16.data(), short_utf16.size());
        if (cls == fileinfo::IdBothDirectory) st64(p + 96, f.file_id);
        break;
      case fileinfo::IdFullDirectory:
        st32(p + 64, f.ea_size);
        st64(p + 72, f.file_id);
        break;
      case fileinfo::IdExtdDirectory:
        st32(p + 64, f.ea_size);
        st32(p + 68, 0);  // ReparsePointTag
        st64(p + 72, f.file_id);
        break;
      default:
        break;
    }
  }
  w.append(name_utf16);
}

Result<std::vector<FullEa>> parse_full_ea_list(Bytes b) {
  std::vector<FullEa> out;
  size_t pos = 0;
  for (;;) {
    if (b.size() - pos < 8) return Err{status::EA_LIST_INCONSISTENT};
    const uint8_t* e = b.data() + pos;
    uint32_t next = ld32(e);
    uint8_t name_len = e[5];
    uint16_t value_len = ld16(e + 6);
    size_t need = 8 + size_t{name_len} + 1 + value_len;
    if (b.size() - pos < need || name_len == 0 || e[8 + name_len] != 0) {
      return Err{status::EA_LIST_INCONSISTENT};
    }
    FullEa ea;
    ea.flags = e[4];
    ea.name = std::string_view(reinterpret_cast<const char*>(e + 8), name_len);
    ea.value = b.subspan(pos + 9 + name_len, value_len);
    out.push_back(ea);
    if (out.size() > 1024) return Err{status::EA_LIST_INCONSISTENT};
    if (next == 0) return out;
    if (next % 4 != 0 || next < need || next > b.size() - pos) {
      return Err{status::EA_LIST_INCONSISTENT};
    }
    pos += next;
  }
}

}  // namespace ringsmb::wire
