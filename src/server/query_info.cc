// QUERY_INFO (MS-SMB2 3.3.5.20; MS-FSCC 2.4, 2.5; MS-FSA 2.1.5.11, 2.1.5.12).
//
// Output sizing follows Windows: a buffer smaller than the class's minimum
// (its C structure size with one name character, rounded to 8) fails with
// STATUS_INFO_LENGTH_MISMATCH; a variable-length answer that does not fit
// is truncated with STATUS_BUFFER_OVERFLOW; security descriptors that do
// not fit fail with STATUS_BUFFER_TOO_SMALL and the size needed.
#include <sys/stat.h>

#include "fs/ea.h"
#include "fs/streams.h"
#include "server/fs_status.h"
#include "server/handlers.h"
#include "server/security.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/fscc.h"
#include "wire/utf16.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;
namespace fi = wire::fileinfo;
namespace fsi = wire::fsinfo;

namespace {

// Minimum output sizes (MS-SMB2 3.3.5.20.1 refers to the structure sizes).
size_t min_file_class_size(uint8_t cls) {
  switch (cls) {
    case fi::Basic: return 40;
    case fi::Standard: return 24;
    case fi::Internal: return 8;
    case fi::Ea: return 4;
    case fi::Access: return 4;
    case fi::Position: return 8;
    case fi::Mode: return 4;
    case fi::Alignment: return 4;
    case fi::All: return 104;
    case fi::AlternateName: return 8;
    case fi::Stream: return 32;
    case fi::Compression: return 16;
    case fi::NetworkOpen: return 56;
    case fi::AttributeTag: return 8;
    case fi::NormalizedName: return 8;
    case fi::Id: return 24;
    case fi::FullEa: return 0;  // handled by the EA code
    default: return 0;
  }
}

size_t min_fs_class_size(uint8_t cls) {
  switch (cls) {
    case fsi::Volume: return 24;
    case fsi::Size: return 24;
    case fsi::Device: return 8;
    case fsi::Attribute: return 16;
    case fsi::Control: return 48;
    case fsi::FullSize: return 32;
    case fsi::ObjectId: return 64;
    case fsi::SectorSize: return 28;
    default: return 0;
  }
}

std::vector<uint8_t> encode_full_eas(const std::vector<fs::Ea>& eas) {
  std::vector<uint8_t> out;
  size_t prev = 0;
  for (size_t i = 0; i < eas.size(); ++i) {
    const auto& e = eas[i];
    if (i != 0) {
      size_t aligned = (out.size() + 3) & ~size_t{3};
      out.resize(aligned, 0);
      wire::st32(out.data() + prev, static_cast<uint32_t>(aligned - prev));
    }
    prev = out.size();
    size_t o = out.size();
    out.resize(o + 8 + e.name.size() + 1 + e.value.size(), 0);
    out[o + 4] = e.flags;
    out[o + 5] = static_cast<uint8_t>(e.name.size());
    wire::st16(out.data() + o + 6, static_cast<uint16_t>(e.value.size()));
    std::memcpy(out.data() + o + 8, e.name.data(), e.name.size());
    if (!e.value.empty()) std::memcpy(out.data() + o + 9 + e.name.size(), e.value.data(), e.value.size());
  }
  return out;
}


}  // namespace

rt::Task<void> query_info(Request& req, Response& resp) {
  auto q = wire::parse_query_info(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  if (q->output_length > req.conn.max_io()) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  fs::Share& fsh = *open->share->fs;
  const uint32_t granted = open->granted_access;
  wire::Writer w;
  bool variable = false;  // may be truncated with BUFFER_OVERFLOW

  if (q->info_type == wire::INFO_FILE) {
    const uint8_t cls = q->info_class;
    wire::FileInfo f;
    int rc = co_await query_open_info(*open, &f);
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
    // Reading attributes needs FILE_READ_ATTRIBUTES (MS-FSA 2.1.5.11).
    const bool need_attr = cls == fi::Basic || cls == fi::All || cls == fi::NetworkOpen ||
                           cls == fi::AttributeTag;
    if (need_attr && !(granted & wire::access::FILE_READ_ATTRIBUTES)) {
      resp.status = st::ACCESS_DENIED;
      co_return;
    }
    std::vector<fs::Ea> eas;
    if (cls == fi::Ea || cls == fi::All || cls == fi::FullEa) {
      fs::list_eas(open->fd, &eas);
      f.ea_size = fs::full_ea_list_size(eas);
    }
    size_t minsz = min_file_class_size(cls);
    if (minsz != 0 && q->output_length < minsz) {
      resp.status = st::INFO_LENGTH_MISMATCH;
      co_return;
    }
    switch (cls) {
      case fi::Basic: wire::put_basic_info(w, f); break;
      case fi::Standard: wire::put_standard_info(w, f); break;
      case fi::Internal: wire::put_internal_info(w, f); break;
      case fi::Ea: w.u32(f.ea_size); break;
      case fi::Access: w.u32(granted); break;
      case fi::Position: w.u64(open->position.load(std::memory_order_relaxed)); break;
      case fi::Mode: w.u32(open->mode); break;
      case fi::Alignment: w.u32(0); break;
      case fi::All: {
        std::string full = "\\" + open->client_name;
        if (!open->stream.empty()) full += ":" + open->stream;
        wire::put_all_info(w, f, granted, open->position.load(std::memory_order_relaxed),
                           open->mode, wire::utf8_to_utf16le(full));
        variable = true;
        break;
      }
      case fi::AlternateName: {
        std::string leafname = open->client_name;
        size_t bs = leafname.rfind('\\');
        if (bs != std::string::npos) leafname = leafname.substr(bs + 1);
        if (open->client_name.empty()) {
          resp.status = st::OBJECT_NAME_NOT_FOUND;  // the root has no short name
          co_return;
        }
        wire::put_name_info(w, wire::utf8_to_utf16le(fs::short_name(leafname)));
        variable = true;
        break;
      }
      case fi::Stream: {
        // FILE_STREAM_INFORMATION (2.4.43): the unnamed stream of a file,
        // then every named stream, of the base file.
        struct Entry {
          std::string name;
          uint64_t size, alloc;
        };
        std::vector<Entry> entries;
        struct statx bst {};
        co_await fsh.stat_fd(open->fd, &bst);
        if (!S_ISDIR(bst.stx_mode)) {
          entries.push_back({"::$DATA", bst.stx_size, bst.stx_blocks * 512});
        }
        std::vector<fs::StreamInfo> named;
        fs::list_streams(open->fd, &named);
        for (const auto& n : named) {
          entries.push_back({":" + n.name + ":$DATA", n.size, (n.size + 7) & ~uint64_t{7}});
        }
        size_t prev = 0;
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i != 0) {
            w.align(8);
            w.put32(prev, static_cast<uint32_t>(w.size() - prev));
          }
          prev = w.size();
          auto name = wire::utf8_to_utf16le(entries[i].name);
          w.u32(0);
          w.u32(static_cast<uint32_t>(name.size()));
          w.u64(entries[i].size);
          w.u64(entries[i].alloc);
          w.append(name.data(), name.size());
        }
        variable = true;
        break;
      }
      case fi::Compression:
        w.u64(f.end_of_file);
        w.u16(0);  // COMPRESSION_FORMAT_NONE
        w.zeros(6);
        break;
      case fi::NetworkOpen: wire::put_network_open_info(w, f); break;
      case fi::AttributeTag: wire::put_attribute_tag_info(w, f); break;
      case fi::NormalizedName: {
        if (req.conn.dialect() < wire::dialect::SMB311) {
          resp.status = st::NOT_SUPPORTED;
          co_return;
        }
        wire::put_name_info(w, wire::utf8_to_utf16le(open->client_name));
        variable = true;
        break;
      }
      case fi::Id: {
        w.u64(fsh.volume_serial());
        w.u64(f.file_id);
        w.u64(0);
        break;
      }
      case fi::FullEa: {
        if (!(granted & wire::access::FILE_READ_EA)) {
          resp.status = st::ACCESS_DENIED;
          co_return;
        }
        if (eas.empty()) {
          resp.status = st::NO_EAS_ON_FILE;
          co_return;
        }
        auto all = encode_full_eas(eas);
        if (q->output_length < all.size()) {
          // Whole entries only; none fits: BUFFER_TOO_SMALL.
          resp.status = st::BUFFER_TOO_SMALL;
          co_return;
        }
        w.append(all.data(), all.size());
        break;
      }
      case fi::Name:
      case fi::Pipe:
      case fi::PipeLocal:
      case fi::PipeRemote:
        resp.status = st::INVALID_PARAMETER;
        co_return;
      default:
        resp.status = st::INVALID_INFO_CLASS;
        co_return;
    }
  } else if (q->info_type == wire::INFO_FILESYSTEM) {
    const uint8_t cls = q->info_class;
    size_t minsz = min_fs_class_size(cls);
    if (minsz == 0) {
      resp.status = st::INVALID_INFO_CLASS;
      co_return;
    }
    if (q->output_length < minsz) {
      resp.status = st::INFO_LENGTH_MISMATCH;
      co_return;
    }
    fs::VolumeInfo vi;
    int rc = fsh.volume_info(&vi);
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
    const uint32_t bytes_per_sector = 512;
    const uint32_t sectors_per_unit = std::max<uint32_t>(1, vi.block_size / bytes_per_sector);
    const uint64_t unit = uint64_t{sectors_per_unit} * bytes_per_sector;
    switch (cls) {
      case fsi::Volume: {
        struct statx rs {};
        co_await fsh.stat_fd(fsh.root_fd(), &rs);
        wire::FileInfo rf = fsh.file_info(rs, {}, "");
        auto label = wire::utf8_to_utf16le(open->share->cfg.name);
        w.u64(rf.creation_time);
        w.u32(fsh.volume_serial());
        w.u32(static_cast<uint32_t>(label.size()));
        w.u8(0);  // SupportsObjects
        w.u8(0);
        w.append(label.data(), label.size());
        while (w.size() < 24) w.u8(0);
        variable = true;
        break;
      }
      case fsi::Size:
        w.u64(vi.total_bytes / unit);
        w.u64(vi.free_bytes / unit);
        w.u32(sectors_per_unit);
        w.u32(bytes_per_sector);
        break;
      case fsi::Device:
        w.u32(wire::FILE_DEVICE_DISK);
        w.u32(wire::FILE_DEVICE_IS_MOUNTED);
        break;
      case fsi::Attribute: {
        auto name = wire::utf8_to_utf16le("NTFS");
        uint32_t a = wire::fsattr::CASE_PRESERVED_NAMES | wire::fsattr::UNICODE_ON_DISK |
                     wire::fsattr::SUPPORTS_SPARSE_FILES;
        if (open->share->cfg.case_sensitive) a |= wire::fsattr::CASE_SENSITIVE_SEARCH;
        if (fsh.xattrs()) a |= wire::fsattr::SUPPORTS_EXTENDED_ATTRIBUTES;
        if (open->share->cfg.read_only) a |= wire::fsattr::READ_ONLY_VOLUME;
        w.u32(a);
        w.u32(vi.name_max);
        w.u32(static_cast<uint32_t>(name.size()));
        w.append(name.data(), name.size());
        variable = true;
        break;
      }
      case fsi::Control:
        // FILE_FS_CONTROL_INFORMATION: no quotas (all limits "none").
        w.u64(0);
        w.u64(0);
        w.u64(0);
        w.u64(~uint64_t{0});
        w.u64(~uint64_t{0});
        w.u32(0);
        w.u32(0);
        break;
      case fsi::FullSize:
        w.u64(vi.total_bytes / unit);
        w.u64(vi.free_bytes / unit);
        w.u64(vi.actual_free_bytes / unit);
        w.u32(sectors_per_unit);
        w.u32(bytes_per_sector);
        break;
      case fsi::ObjectId: {
        // A stable 16-byte volume id derived from the serial, no extended info.
        w.u32(fsh.volume_serial());
        w.u32(0x72696e67);  // "ring"
        w.u64(0);
        w.zeros(48);
        break;
      }
      case fsi::SectorSize:
        w.u32(bytes_per_sector);  // LogicalBytesPerSector
        w.u32(bytes_per_sector);  // PhysicalBytesPerSectorForAtomicity
        w.u32(bytes_per_sector);  // PhysicalBytesPerSectorForPerformance
        w.u32(bytes_per_sector);  // FileSystemEffectivePhysicalBytesPerSectorForAtomicity
        w.u32(0x3);  // SSINFO_FLAGS_ALIGNED_DEVICE | PARTITION_ALIGNED_ON_DEVICE
        w.u32(0);
        w.u32(0);
        break;
      default:
        resp.status = st::INVALID_INFO_CLASS;
        co_return;
    }
  } else if (q->info_type == wire::INFO_SECURITY) {
    if (!(granted & wire::access::READ_CONTROL)) {
      resp.status = st::ACCESS_DENIED;
      co_return;
    }
    struct statx stx {};
    int rc = co_await fsh.stat_fd(open->fd, &stx);
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
    auto sd = build_security_descriptor(stx.stx_uid, stx.stx_gid, stx.stx_mode,
                                        S_ISDIR(stx.stx_mode), q->additional_information & 0xF);
    if (q->output_length < sd.size()) {
      // MS-SMB2 3.3.5.20.3: the size needed goes into the error data.
      resp.status = st::BUFFER_TOO_SMALL;
      resp.error_data.resize(4);
      wire::st32(resp.error_data.data(), static_cast<uint32_t>(sd.size()));
      co_return;
    }
    w.append(sd.data(), sd.size());
  } else if (q->info_type == wire::INFO_QUOTA) {
    resp.status = st::NOT_SUPPORTED;
    co_return;
  } else {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }

  wire::Bytes out = w.bytes();
  if (out.size() > q->output_length) {
    if (!variable) {
      resp.status = st::INFO_LENGTH_MISMATCH;
      co_return;
    }
    out = out.subspan(0, q->output_length);
    resp.status = st::BUFFER_OVERFLOW;
  }
  wire::encode_buffer_response(resp.body, out);
}

}  // namespace ringsmb::server::handlers
