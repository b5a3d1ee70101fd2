// NamedRegistry on a hand-made table: lookups, the unknown-name error with and without a place,
// the names in table order, and a duplicate name refused at construction.
#include "common/named_registry.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "scratch_dir.h"

namespace aimicius {
namespace {

using testing::error_of;

NamedRegistry<int> digits() { return NamedRegistry<int>("digit", {{"one", 1}, {"two", 2}, {"three", 3}}); }

TEST(NamedRegistry, FindsByExactName) {
  const auto table = digits();
  EXPECT_EQ(table.find("one"), 1);
  EXPECT_EQ(table.find("three", "x.json"), 3);
  EXPECT_EQ(table.names(), std::vector<std::string>({"one", "two", "three"}));
}

TEST(NamedRegistry, UnknownNameListsTheKnownOnes) {
  const auto table = digits();
  EXPECT_EQ(error_of([&] { table.find("four", "suite.json: scorers[0]"); }),
            "suite.json: scorers[0]: unknown digit \"four\" (known: one, two, three)");
  EXPECT_EQ(error_of([&] { table.find("One"); }), "unknown digit \"One\" (known: one, two, three)");
}

TEST(NamedRegistry, DuplicateNamesAreAProgrammingError) {
  EXPECT_THROW(NamedRegistry<int>("digit", {{"one", 1}, {"one", 2}}), std::logic_error);
  EXPECT_TRUE(NamedRegistry<int>("digit", {}).names().empty());
}

}  // namespace
}  // namespace aimicius
