// File system information structures (MS-FSCC 2.4 file information
// classes, 2.5 file system information classes) and FILETIME helpers.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/le.h"
#include "wire/result.h"
#include "wire/writer.h"

namespace ringsmb::wire {

// File information classes (MS-FSCC 2.4).
namespace fileinfo {
inline constexpr uint8_t Directory = 1;
inline constexpr uint8_t FullDirectory = 2;
inline constexpr uint8_t BothDirectory = 3;
inline constexpr uint8_t Basic = 4;
inline constexpr uint8_t Standard = 5;
inline constexpr uint8_t Internal = 6;
inline constexpr uint8_t Ea = 7;
inline constexpr uint8_t Access = 8;
inline constexpr uint8_t Name = 9;
inline constexpr uint8_t Rename = 10;
inline constexpr uint8_t Link = 11;
inline constexpr uint8_t Names = 12;
inline constexpr uint8_t Disposition = 13;
inline constexpr uint8_t Position = 14;
inline constexpr uint8_t FullEa = 15;
inline constexpr uint8_t Mode = 16;
inline constexpr uint8_t Alignment = 17;
inline constexpr uint8_t All = 18;
inline constexpr uint8_t Allocation = 19;
inline constexpr uint8_t EndOfFile = 20;
inline constexpr uint8_t AlternateName = 21;
inline constexpr uint8_t Stream = 22;
inline constexpr uint8_t Pipe = 23;
inline constexpr uint8_t PipeLocal = 24;
inline constexpr uint8_t PipeRemote = 25;
inline constexpr uint8_t Compression = 28;
inline constexpr uint8_t ObjectId = 29;
inline constexpr uint8_t Quota = 32;
inline constexpr uint8_t ReparsePoint = 33;
inline constexpr uint8_t NetworkOpen = 34;
inline constexpr uint8_t AttributeTag = 35;
inline constexpr uint8_t IdBothDirectory = 37;
inline constexpr uint8_t IdFullDirectory = 38;
inline constexpr uint8_t ValidDataLength = 39;
inline constexpr uint8_t ShortName = 40;
inline constexpr uint8_t SfioReserve = 44;
inline constexpr uint8_t SfioVolume = 45;
inline constexpr uint8_t HardLink = 46;
inline constexpr uint8_t NormalizedName = 48;
inline constexpr uint8_t IdGlobalTxDirectory = 50;
inline constexpr uint8_t StandardLink = 54;
inline constexpr uint8_t Id = 59;
inline constexpr uint8_t IdExtdDirectory = 60;
inline constexpr uint8_t DispositionEx = 64;
inline constexpr uint8_t RenameEx = 65;
}  // namespace fileinfo

// File system information classes (MS-FSCC 2.5).
namespace fsinfo {
inline constexpr uint8_t Volume = 1;
inline constexpr uint8_t Label = 2;
inline constexpr uint8_t Size = 3;
inline constexpr uint8_t Device = 4;
inline constexpr uint8_t Attribute = 5;
inline constexpr uint8_t Control = 6;
inline constexpr uint8_t FullSize = 7;
inline constexpr uint8_t ObjectId = 8;
inline constexpr uint8_t DriverPath = 9;
inline constexpr uint8_t VolumeFlags = 10;
inline constexpr uint8_t SectorSize = 11;
}  // namespace fsinfo

// FileFsAttributeInformation flags (MS-FSCC 2.5.1).
namespace fsattr {
inline constexpr uint32_t CASE_SENSITIVE_SEARCH = 0x00000001;
inline constexpr uint32_t CASE_PRESERVED_NAMES = 0x00000002;
inline constexpr uint32_t UNICODE_ON_DISK = 0x00000004;
inline constexpr uint32_t PERSISTENT_ACLS = 0x00000008;
inline constexpr uint32_t SUPPORTS_SPARSE_FILES = 0x00000040;
inline constexpr uint32_t SUPPORTS_OBJECT_IDS = 0x00010000;
inline constexpr uint32_t NAMED_STREAMS = 0x00040000;
inline constexpr uint32_t READ_ONLY_VOLUME = 0x00080000;
inline constexpr uint32_t SUPPORTS_HARD_LINKS = 0x00400000;
inline constexpr uint32_t SUPPORTS_EXTENDED_ATTRIBUTES = 0x00800000;
}  // namespace fsattr

inline constexpr uint32_t FILE_DEVICE_DISK = 0x00000007;
inline constexpr uint32_t FILE_DEVICE_IS_MOUNTED = 0x00000020;
inline constexpr uint32_t FILE_REMOTE_DEVICE = 0x00000010;

// FILETIME: 100 ns intervals since 1601-01-01 UTC.
inline constexpr uint64_t kFiletimeUnixEpoch = 116444736000000000ULL;
inline uint64_t unix_to_filetime(int64_t sec, uint32_t nsec) {
  if (sec < -11644473600LL) return 0;
  return static_cast<uint64_t>(sec + 11644473600LL) * 10000000ULL + nsec / 100;
}
inline void filetime_to_unix(uint64_t ft, int64_t* sec, uint32_t* nsec) {
  *sec = static_cast<int64_t>(ft / 10000000ULL) - 11644473600LL;
  *nsec = static_cast<uint32_t>(ft % 10000000ULL) * 100;
}

// What the server knows about one file, in FSCC terms.
struct FileInfo {
  uint64_t creation_time = 0;
  uint64_t last_access_time = 0;
  uint64_t last_write_time = 0;
  uint64_t change_time = 0;
  uint64_t allocation_size = 0;
  uint64_t end_of_file = 0;
  uint32_t attributes = 0;
  uint32_t nlink = 1;
  uint64_t file_id = 0;  // IndexNumber: stable per file (the inode)
  uint32_t ea_size = 0;
  bool directory = false;
  bool delete_pending = false;
};

// Fixed sizes of file information classes that have no variable part.
inline constexpr size_t kBasicInfoSize = 40;
inline constexpr size_t kStandardInfoSize = 24;
inline constexpr size_t kNetworkOpenInfoSize = 56;

// Each appends the class's structure to w.
void put_basic_info(Writer& w, const FileInfo& f);
void put_standard_info(Writer& w, const FileInfo& f);
void put_internal_info(Writer& w, const FileInfo& f);
void put_network_open_info(Writer& w, const FileInfo& f);
void put_attribute_tag_info(Writer& w, const FileInfo& f);
// FileAllInformation (2.4.2) with the name (already UTF-16LE) at the end.
void put_all_info(Writer& w, const FileInfo& f, uint32_t access_flags, uint64_t position,
                  uint32_t mode, Bytes name_utf16);
// A FILE_NAME_INFORMATION shaped structure (name, alternate, normalized).
void put_name_info(Writer& w, Bytes name_utf16);

// Directory entries (FileDirectoryInformation, FileFullDirectoryInformation,
// FileBothDirectoryInformation, FileNamesInformation,
// FileIdBothDirectoryInformation, FileIdFullDirectoryInformation,
// FileIdExtdDirectoryInformation). Appends one entry with NextEntryOffset
// 0; the caller sets NextEntryOffset of the previous entry when it adds
// the next one.
bool is_directory_info_class(uint8_t cls);
// Size of one entry before 8-byte padding.
size_t dir_entry_size(uint8_t cls, size_t name_bytes);
// short_utf16: the 8.3 alias for the Both classes (at most 24 bytes used).
void put_dir_entry(Writer& w, uint8_t cls, const FileInfo& f, uint32_t file_index,
                   Bytes name_utf16, Bytes short_utf16 = {});

// FILE_FULL_EA_INFORMATION (2.4.15): one entry of a chained EA list.
struct FullEa {
  uint8_t flags = 0;
  std::string_view name;  // ASCII, not terminated
  Bytes value;
};
// Parses a chained list; STATUS_EA_LIST_INCONSISTENT when an entry runs
// past the buffer, a NextEntryOffset is misaligned or an entry's name is
// empty or lacks its terminating zero.
Result<std::vector<FullEa>> parse_full_ea_list(Bytes b);

}  // namespace ringsmb::wire
