// server/credits.h: the command sequence window (MS-SMB2 3.3.1.1, 3.3.5.2.3)
// and credit grants (3.3.1.2).
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "server/credits.h"

using ringsmb::server::CreditWindow;
using ringsmb::server::credits_for;

namespace {

TEST(CreditWindow, NewConnectionHasOneCredit) {
  CreditWindow w(100);
  EXPECT_EQ(w.low(), 0u);
  EXPECT_EQ(w.range(), 1u);
  EXPECT_EQ(w.max(), 100u);
  EXPECT_FALSE(w.consume(1, 1));  // only id 0 may be used
  EXPECT_TRUE(w.consume(0, 1));
  EXPECT_EQ(w.low(), 1u);
  EXPECT_EQ(w.range(), 0u);
}

TEST(CreditWindow, ReuseRejected) {
  CreditWindow w(100);
  ASSERT_TRUE(w.consume(0, 1));
  EXPECT_EQ(w.grant(10), 10);
  EXPECT_FALSE(w.consume(0, 1));  // below the window
  ASSERT_TRUE(w.consume(5, 1));   // out of order
  EXPECT_FALSE(w.consume(5, 1));  // used, inside the window
  EXPECT_FALSE(w.consume(4, 2));  // overlaps the used id 5
  EXPECT_TRUE(w.consume(4, 1));   // 4 itself was free
}

TEST(CreditWindow, SlidesWhenLowestIdIsUsed) {
  CreditWindow w(100);
  ASSERT_TRUE(w.consume(0, 1));
  ASSERT_EQ(w.grant(8), 8);  // window [1, 9)
  EXPECT_EQ(w.low(), 1u);
  EXPECT_EQ(w.range(), 8u);
  ASSERT_TRUE(w.consume(3, 1));
  ASSERT_TRUE(w.consume(2, 1));
  EXPECT_EQ(w.low(), 1u);  // 1 still outstanding: no slide
  EXPECT_EQ(w.range(), 8u);
  ASSERT_TRUE(w.consume(1, 1));
  EXPECT_EQ(w.low(), 4u);  // 1, 2, 3 all used now
  EXPECT_EQ(w.range(), 5u);
  EXPECT_FALSE(w.consume(3, 1));
  EXPECT_FALSE(w.consume(9, 1));  // beyond the window
  EXPECT_TRUE(w.consume(8, 1));   // last id of the window
  EXPECT_EQ(w.low(), 4u);
}

TEST(CreditWindow, MultiCreditCharge) {
  CreditWindow w(100);
  ASSERT_TRUE(w.consume(0, 1));
  ASSERT_EQ(w.grant(10), 10);  // [1, 11)
  EXPECT_FALSE(w.consume(8, 4));  // 8..11: one past the window
  ASSERT_TRUE(w.consume(7, 4));   // 7..10
  EXPECT_FALSE(w.consume(9, 1));  // consumed by the charge
  EXPECT_FALSE(w.consume(10, 1));
  ASSERT_TRUE(w.consume(1, 6));   // 1..6: now everything is used
  EXPECT_EQ(w.low(), 11u);
  EXPECT_EQ(w.range(), 0u);
}

TEST(CreditWindow, ChargeZeroCountsAsOne) {
  CreditWindow w(100);
  ASSERT_TRUE(w.consume(0, 0));  // SMB 2.0.2 requests carry CreditCharge 0
  EXPECT_EQ(w.low(), 1u);
  EXPECT_FALSE(w.consume(0, 0));
}

TEST(CreditWindow, FarOutsideWindowRefused) {
  CreditWindow w(100);
  EXPECT_FALSE(w.consume(~0ull, 1));
  EXPECT_FALSE(w.consume(~0ull - 1, 2));
  EXPECT_FALSE(w.consume(1ull << 40, 1));
  EXPECT_FALSE(w.consume(0, 0xFFFF));
  EXPECT_TRUE(w.consume(0, 1));  // the window is unchanged by the refusals
}

TEST(CreditWindow, GrantNeverExceedsMax) {
  CreditWindow w(16);
  EXPECT_EQ(w.grant(100), 15);  // 1 outstanding + 15 = 16
  EXPECT_EQ(w.range(), 16u);
  EXPECT_EQ(w.grant(100), 0);
  EXPECT_EQ(w.range(), 16u);
  ASSERT_TRUE(w.consume(0, 4));
  EXPECT_EQ(w.range(), 12u);
  EXPECT_EQ(w.grant(3), 3);
  EXPECT_EQ(w.grant(65535), 1);
  EXPECT_EQ(w.range(), 16u);
}

TEST(CreditWindow, GrantNeverLetsWindowReachZero) {
  CreditWindow w(16);
  ASSERT_TRUE(w.consume(0, 1));
  EXPECT_EQ(w.range(), 0u);
  EXPECT_EQ(w.grant(0), 1);  // asked for nothing, gets one anyway
  EXPECT_EQ(w.range(), 1u);
  EXPECT_EQ(w.grant(0), 0);  // one outstanding is enough
  ASSERT_TRUE(w.consume(1, 1));
  EXPECT_EQ(w.grant(0), 1);
}

TEST(CreditWindow, LongRunWrapsTheBitmap) {
  // Many more ids than the internal ring of flags holds.
  CreditWindow w(8);
  uint64_t mid = 0;
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(w.consume(mid, 1)) << mid;
    ++mid;
    ASSERT_GE(w.grant(1), 1);
  }
  EXPECT_EQ(w.low(), 100000u);
  EXPECT_FALSE(w.consume(99999, 1));
}

TEST(CreditWindow, RandomClientNeverViolatesInvariants) {
  std::mt19937_64 rng(12345);
  const uint32_t max = 64;
  CreditWindow w(max);
  std::set<uint64_t> free_ids = {0};  // ids the client may use
  uint64_t next_new = 1;
  for (int step = 0; step < 20000; ++step) {
    ASSERT_FALSE(free_ids.empty());
    ASSERT_LE(w.range(), max);
    ASSERT_GE(w.range(), 1u);
    // The window is [low, low + range): everything granted so far, minus
    // the used prefix; the client's unused ids are inside it, and the
    // lowest of them is low.
    ASSERT_EQ(w.low() + w.range(), next_new);
    ASSERT_LE(free_ids.size(), w.range());
    ASSERT_EQ(*free_ids.begin(), w.low());
    // Pick a random free id and the longest charge of consecutive free ids.
    auto it = free_ids.begin();
    std::advance(it, static_cast<long>(rng() % free_ids.size()));
    uint64_t mid = *it;
    uint16_t run = 1;
    while (free_ids.count(mid + run) && run < 8) ++run;
    uint16_t charge = static_cast<uint16_t>(1 + rng() % run);
    // Sometimes try something illegal first: it must be refused and change nothing.
    if (rng() % 4 == 0) {
      uint64_t used = w.low() == 0 ? next_new + 1000 : w.low() - 1;
      ASSERT_FALSE(w.consume(used, 1));
    }
    ASSERT_TRUE(w.consume(mid, charge)) << "mid " << mid << " charge " << charge;
    for (uint16_t k = 0; k < charge; ++k) free_ids.erase(mid + k);
    uint16_t g = w.grant(static_cast<uint16_t>(rng() % 10));
    for (uint16_t k = 0; k < g; ++k) free_ids.insert(next_new++);
  }
}

TEST(CreditsFor, OnePer64KiB) {
  EXPECT_EQ(credits_for(0), 1u);
  EXPECT_EQ(credits_for(1), 1u);
  EXPECT_EQ(credits_for(65536), 1u);
  EXPECT_EQ(credits_for(65537), 2u);
  EXPECT_EQ(credits_for(131072), 2u);
  EXPECT_EQ(credits_for(8 * 1024 * 1024), 128u);
  EXPECT_EQ(credits_for(8 * 1024 * 1024 + 1), 129u);
}

}  // namespace
