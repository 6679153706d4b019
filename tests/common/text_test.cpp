#include "photosync/common/text.h"

#include <gtest/gtest.h>

namespace photosync {
namespace {

TEST(Trim, DefaultBlanksAreSpaceTabCrLf) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"", ""},
      {" \t\r\n", ""},
      {"a", "a"},
      {"  a b  ", "a b"},          // inner blanks stay
      {"\r\nphotos.example.com\r", "photos.example.com"},
      {"\va\f", "\va\f"},          // only the four blanks count
      {"\xc2\xa0x\xc2\xa0", "\xc2\xa0x\xc2\xa0"},  // a UTF-8 no-break space is not ASCII blank
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(std::string(c.in)));
    EXPECT_EQ(trim(c.in), c.out);
  }
}

TEST(Trim, TakesTheSetItIsGiven) {
  EXPECT_EQ(trim(" \t2.128\t ", kHttpWhitespace), "2.128");
  EXPECT_EQ(trim("2\r", kHttpWhitespace), "2\r");
  EXPECT_EQ(trim("\tuser ", " "), "\tuser");
  EXPECT_EQ(trim("//a//", "/"), "a");
  EXPECT_EQ(trim("abc", ""), "abc");
}

TEST(Trim, ReturnsAViewIntoItsInput) {
  const std::string text = "  value  ";
  const std::string_view t = trim(text);
  EXPECT_EQ(t.data(), text.data() + 2);
  EXPECT_EQ(t.size(), 5u);
}

TEST(Lower, FoldsAsciiOnlyWhateverTheLocale) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"", ""},
      {"Bearer", "bearer"},
      {"HTTPS://Photos.Example.COM", "https://photos.example.com"},
      {"az09-_@[`{", "az09-_@[`{"},         // '@' '[' '`' '{' sit next to the letters
      {"\xc3\x89T\xc3\x89", "\xc3\x89t\xc3\x89"},  // UTF-8 bytes are left alone
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(lower(c.in), c.out);
  }
  EXPECT_EQ(lowerAscii('Z'), 'z');
  EXPECT_EQ(lowerAscii('@'), '@');
  EXPECT_EQ(lowerAscii('['), '[');
}

TEST(EqualsIgnoreCase, ComparesAfterFolding) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-length"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
  EXPECT_FALSE(equalsIgnoreCase("ETag", "ETags"));
  EXPECT_FALSE(equalsIgnoreCase("@", "`"));  // 0x40 and 0x60 differ by the case bit only
  EXPECT_TRUE(startsWithIgnoreCase("DATA:image/png", "data:"));
  EXPECT_FALSE(startsWithIgnoreCase("dat", "data:"));
  EXPECT_TRUE(startsWithIgnoreCase("x", ""));
}

}  // namespace
}  // namespace photosync
