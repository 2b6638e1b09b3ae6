#include "common/text.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(Utf8SequenceLength, AcceptsValidAndRejectsInvalidSequences) {
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xc3\xa9"), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("\xe2\x82\xac"), 3u);      // €
  EXPECT_EQ(Utf8SequenceLength("\xf0\x9f\x98\x80"), 4u);  // 😀
  EXPECT_EQ(Utf8SequenceLength("\xc3"), 0u);              // truncated
  EXPECT_EQ(Utf8SequenceLength("\xc0\xaf"), 0u);          // overlong
  EXPECT_EQ(Utf8SequenceLength("\xed\xa0\x80"), 0u);      // surrogate
  EXPECT_EQ(Utf8SequenceLength("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xff"), 0u);
}

TEST(Abbreviate, KeepsShortTextAsItIs) {
  EXPECT_EQ(Abbreviate("", 10), "");
  EXPECT_EQ(Abbreviate("0123456789", 10), "0123456789");
  EXPECT_EQ(Abbreviate("caf\xc3\xa9", 5), "caf\xc3\xa9");
}

TEST(Abbreviate, CutsAtACharacterBoundary) {
  EXPECT_EQ(Abbreviate("0123456789a", 10), "0123456...");
  // "é" would straddle the cut: it is dropped whole, never split.
  EXPECT_EQ(Abbreviate("012345\xc3\xa9xyz", 10), "012345...");
  EXPECT_EQ(Abbreviate("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 8), "\xe2\x82\xac...");
}

TEST(Abbreviate, EscapesInvalidBytes) {
  EXPECT_EQ(Abbreviate("a\xff"
                       "b",
                       20),
            "a\\xffb");
  EXPECT_EQ(Abbreviate("\xc3", 20), "\\xc3");
}

}  // namespace
}  // namespace sluice
