// server/lease.h: the pure lease rules, checked against the tables of
// smbtorture's smb2.lease tests (what Windows grants and breaks to).
#include <gtest/gtest.h>

#include <string>

#include "server/access.h"
#include "server/lease.h"

using namespace ringsmb::server;
namespace ls = ringsmb::wire::lease;

namespace {

uint32_t S(const std::string& s) {
  uint32_t v = 0;
  for (char c : s) v |= c == 'R' ? ls::READ : c == 'H' ? ls::HANDLE : c == 'W' ? ls::WRITE : 0;
  return v;
}

TEST(LeaseRules, OnlyStatesWithReadAreGranted) {
  // smb2.lease.request: "", R, H, W, RH, RW, HW, RHW.
  const char* table[][2] = {{"", ""},     {"R", "R"},   {"H", ""},   {"W", ""},
                            {"RH", "RH"}, {"RW", "RW"}, {"HW", ""}, {"RHW", "RHW"}};
  for (auto& t : table) EXPECT_EQ(lease_requested(S(t[0])), S(t[1])) << t[0];
  EXPECT_EQ(lease_requested(0xFFFFFFFF), S("RHW"));  // unknown bits are dropped
}

TEST(LeaseRules, GrantNextToOthers) {
  EXPECT_EQ(lease_grantable(S("RHW"), false, false), S("RHW"));
  EXPECT_EQ(lease_grantable(S("RHW"), true, false), S("RH"));  // smb2.lease.break
  EXPECT_EQ(lease_grantable(S("RHW"), true, true), S("R"));    // next to an oplock
  EXPECT_EQ(lease_grantable(S("RW"), true, false), S("R"));
}

TEST(LeaseRules, UpgradesOnlyToGrantableSupersets) {
  // smb2.lease.upgrade2 (alone) and upgrade3 (next to another lease).
  const char* alone[][3] = {{"", "R", "R"},     {"R", "", "R"},      {"R", "RW", "RW"},
                            {"RH", "RW", "RH"}, {"RW", "RH", "RW"},  {"RH", "RWH", "RWH"},
                            {"RWH", "R", "RWH"}};
  for (auto& t : alone) EXPECT_EQ(lease_upgraded(S(t[0]), S(t[1]), false, false), S(t[2])) << t[0] << "+" << t[1];
  const char* shared[][3] = {{"R", "RH", "RH"}, {"R", "RW", "R"}, {"R", "RHW", "R"},
                             {"RH", "RHW", "RH"}};
  for (auto& t : shared) EXPECT_EQ(lease_upgraded(S(t[0]), S(t[1]), true, false), S(t[2])) << t[0] << "+" << t[1];
}

TEST(LeaseRules, BreakTargets) {
  // smb2.lease.break: another open takes W away.
  EXPECT_EQ(lease_break_target(S("RHW"), false, false), S("RH"));
  EXPECT_EQ(lease_break_target(S("RW"), false, false), S("R"));
  EXPECT_EQ(lease_break_target(S("RH"), false, false), S("RH"));
  // smb2.lease.break_twice: a sharing violation takes H, and only H.
  EXPECT_EQ(lease_break_target(S("RHW"), true, false), S("RW"));
  // smb2.lease.breaking2/4/5: an overwrite breaks to nothing.
  EXPECT_EQ(lease_break_target(S("RHW"), false, true), S(""));
  EXPECT_EQ(lease_break_target(S("R"), false, true), S(""));
  EXPECT_EQ(lease_delay_mask(false), ls::WRITE);
  EXPECT_EQ(lease_delay_mask(true), ls::HANDLE);
}

TEST(LeaseRules, BreaksAfterAnAckGoInSteps) {
  // smb2.lease.breaking3: RWH -> RH acked while an overwrite waits.
  EXPECT_EQ(lease_next_break(S("RH"), S("")), S("R"));
  EXPECT_EQ(lease_next_break(S("R"), S("")), S(""));
  EXPECT_EQ(lease_next_break(S("RH"), S("RH")), S("RH"));  // done
  EXPECT_EQ(lease_next_break(S(""), S("RH")), S(""));      // breaking6: less is fine
}

TEST(LeaseRules, StatOpens) {
  namespace a = ringsmb::wire::access;
  for (uint32_t m : {a::FILE_READ_ATTRIBUTES, a::FILE_WRITE_ATTRIBUTES, a::READ_CONTROL, a::SYNCHRONIZE})
    EXPECT_TRUE(is_lease_stat_open(m)) << m;
  for (uint32_t m : {a::FILE_READ_DATA, a::FILE_WRITE_DATA, a::FILE_READ_EA, a::FILE_WRITE_EA,
                     a::FILE_EXECUTE, a::DELETE, a::WRITE_DAC, a::WRITE_OWNER})
    EXPECT_FALSE(is_lease_stat_open(m)) << m;
}

TEST(ShareModes, StatOpensTakeNoPart) {
  namespace a = ringsmb::wire::access;
  EXPECT_FALSE(share_conflict(a::FILE_READ_ATTRIBUTES, 0, a::FILE_READ_DATA, 0));
  EXPECT_FALSE(share_conflict(a::FILE_READ_DATA, 0, a::FILE_READ_ATTRIBUTES, 0));
  EXPECT_TRUE(share_conflict(a::FILE_READ_DATA, 0, a::FILE_READ_DATA, ringsmb::wire::FILE_SHARE_READ));
  EXPECT_FALSE(share_conflict(a::FILE_READ_DATA, ringsmb::wire::FILE_SHARE_READ, a::FILE_READ_DATA,
                              ringsmb::wire::FILE_SHARE_READ));
}

}  // namespace
