// normalizer_test.cc: Unicode normalization forms, including the cases the
// ASCII fast path must get right (a composing ASCII letter before a mark).
#include "worker/text/normalizer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::text {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using F = Normalizer::Form;

TEST(Normalizer, NfcComposesAcrossTheAsciiBoundary) {
  const Normalizer nfc({F::kNFC});
  EXPECT_EQ(nfc.Apply("e\u0301"), "\u00e9");
  EXPECT_EQ(nfc.Apply("cafe\u0301 ok"), "caf\u00e9 ok");
  EXPECT_EQ(nfc.Apply("xA\u030a\u0323y"), "x\u1ea0\u030ay");               // reordered, then composed
  EXPECT_EQ(nfc.Apply("\u212b"), "\u00c5");                                // singleton
  EXPECT_EQ(nfc.Apply("\u1100\u1161\u11a8!"), "\uac01!");                  // Hangul L V T
  EXPECT_EQ(nfc.Apply("a\u0301b\u0301 c\u0327"), "\u00e1b\u0301 \u00e7");  // no b-acute
  EXPECT_EQ(nfc.Apply(std::string("a\0e\u0301", 5)), std::string("a\0\u00e9", 4));
  EXPECT_EQ(nfc.Apply("plain ascii"), "plain ascii");
}

TEST(Normalizer, OtherFormsAndSequences) {
  EXPECT_EQ(Normalizer({F::kNFD}).Apply("\u00e9t\u00e9"), "e\u0301te\u0301");
  EXPECT_EQ(Normalizer({F::kNFKC}).Apply("\ufb01 x\u00b2"), "fi x2");
  EXPECT_EQ(Normalizer({F::kNFKD}).Apply("\u00bd"), "1\u20442");
  EXPECT_EQ(Normalizer({F::kNFD, F::kNFC}).Apply("e\u0301"), "\u00e9");
  EXPECT_TRUE(Normalizer().identity());
}

TEST(Normalizer, FromJson) {
  auto seq =
      Normalizer::FromJson(nlohmann::json::parse(R"({"type":"Sequence","normalizers":[{"type":"NFKC"}]})"), "t.json");
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(seq->Apply("\ufb01"), "fi");
  auto null = Normalizer::FromJson(nlohmann::json(), "t.json");
  ASSERT_TRUE(null.ok());
  EXPECT_TRUE(null->identity());
  EXPECT_THAT(Normalizer::FromJson(nlohmann::json::parse(R"({"type":"Lowercase"})"), "t.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("t.json"), HasSubstr("normalizer.type"), HasSubstr("Lowercase"))));
}

}  // namespace
}  // namespace ablate::text
