// hostapi/status.h, the errors-as-values type every call across the plugin boundary returns: each
// code's stable name, each helper's code and message, toString(), and Result<T>'s two states.
#include "hostapi/status.h"

#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace hostapi {
namespace {

// Every code the header declares, with the name a host logs and matches on. A code added to the
// enum without a row here fails TableCoversTheEnum.
struct CodeRow {
  StatusCode code;
  const char* name;
};
const CodeRow kCodes[] = {
    {StatusCode::kOk, "OK"},
    {StatusCode::kInvalidArgument, "INVALID_ARGUMENT"},
    {StatusCode::kNotFound, "NOT_FOUND"},
    {StatusCode::kAlreadyExists, "ALREADY_EXISTS"},
    {StatusCode::kFailedPrecondition, "FAILED_PRECONDITION"},
    {StatusCode::kPermissionDenied, "PERMISSION_DENIED"},
    {StatusCode::kUnauthenticated, "UNAUTHENTICATED"},
    {StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED"},
    {StatusCode::kUnavailable, "UNAVAILABLE"},
    {StatusCode::kCancelled, "CANCELLED"},
    {StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"},
    {StatusCode::kUnimplemented, "UNIMPLEMENTED"},
    {StatusCode::kInternal, "INTERNAL"},
};

TEST(StatusCodeName, EveryCodeHasItsStableName) {
  for (const auto& row : kCodes) {
    SCOPED_TRACE(row.name);
    EXPECT_STREQ(statusCodeName(row.code), row.name);
  }
}

TEST(StatusCodeName, AllCodesHaveDistinctNames) {
  std::set<std::string> names;
  for (const auto& row : kCodes) names.insert(statusCodeName(row.code));
  EXPECT_EQ(names.size(), std::size(kCodes));
  EXPECT_EQ(names.count("UNKNOWN"), 0u);
}

TEST(StatusCodeName, TableCoversTheEnum) {
  // The rows are the values 0..N-1 in order, and N has no name: no code is missing from the table.
  for (std::size_t i = 0; i < std::size(kCodes); ++i) {
    SCOPED_TRACE(kCodes[i].name);
    EXPECT_EQ(static_cast<std::size_t>(kCodes[i].code), i);
  }
  EXPECT_STREQ(statusCodeName(static_cast<StatusCode>(std::size(kCodes))), "UNKNOWN");
}

TEST(StatusCodeName, AValueOutsideTheEnumIsUnknown) {
  EXPECT_STREQ(statusCodeName(static_cast<StatusCode>(999)), "UNKNOWN");
  EXPECT_STREQ(statusCodeName(static_cast<StatusCode>(-1)), "UNKNOWN");
}

TEST(Status, EveryCodeRoundTripsThroughTheConstructor) {
  for (const auto& row : kCodes) {
    SCOPED_TRACE(row.name);
    const Status s(row.code, "what happened");
    EXPECT_EQ(s.code(), row.code);
    EXPECT_EQ(s.message(), "what happened");
    const bool ok = row.code == StatusCode::kOk;
    EXPECT_EQ(s.isOk(), ok);
    EXPECT_EQ(static_cast<bool>(s), ok);
    EXPECT_EQ(s.toString(), ok ? std::string("OK") : std::string(row.name) + ": what happened");
  }
}

TEST(Status, DefaultAndOkAreOkWithoutMessage) {
  for (const Status& s : {Status(), Status::ok()}) {
    EXPECT_TRUE(s.isOk());
    EXPECT_TRUE(static_cast<bool>(s));
    EXPECT_EQ(s.code(), StatusCode::kOk);
    EXPECT_EQ(s.message(), "");
    EXPECT_EQ(s.toString(), "OK");
  }
  // An ok code prints as OK even with a message: the message is for errors.
  EXPECT_EQ(Status(StatusCode::kOk, "ignored").toString(), "OK");
}

TEST(Status, ToStringKeepsAnEmptyMessageVisible) {
  EXPECT_EQ(Status(StatusCode::kInternal, "").toString(), "INTERNAL: ");
}

// Every helper: the code it stands for and the message it keeps.
TEST(StatusHelpers, EachMakesItsCodeWithTheMessage) {
  struct HelperRow {
    const char* helper;
    Status (*make)(std::string);
    StatusCode code;
  };
  const HelperRow rows[] = {
      {"invalidArgument", &invalidArgument, StatusCode::kInvalidArgument},
      {"notFound", &notFound, StatusCode::kNotFound},
      {"failedPrecondition", &failedPrecondition, StatusCode::kFailedPrecondition},
      {"permissionDenied", &permissionDenied, StatusCode::kPermissionDenied},
      {"unauthenticated", &unauthenticated, StatusCode::kUnauthenticated},
      {"resourceExhausted", &resourceExhausted, StatusCode::kResourceExhausted},
      {"unavailable", &unavailable, StatusCode::kUnavailable},
      {"cancelled", &cancelled, StatusCode::kCancelled},
      {"internalError", &internalError, StatusCode::kInternal},
  };
  std::set<StatusCode> seen;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.helper);
    const Status s = row.make("the tenant id is missing");
    EXPECT_EQ(s.code(), row.code);
    EXPECT_FALSE(s.isOk());
    EXPECT_FALSE(static_cast<bool>(s));
    EXPECT_EQ(s.message(), "the tenant id is missing");
    EXPECT_EQ(s.toString(), std::string(statusCodeName(row.code)) + ": the tenant id is missing");
    EXPECT_TRUE(seen.insert(s.code()).second) << "two helpers make the same code";
  }
}

TEST(Result, HoldsAValue) {
  Result<std::string> r(std::string("photo"));
  EXPECT_TRUE(r.isOk());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_TRUE(r.status().isOk());
  EXPECT_EQ(r.value(), "photo");
  EXPECT_EQ(*r, "photo");
  EXPECT_EQ(r->size(), 5u);
  r.value() += "s";  // mutable access
  EXPECT_EQ(*r, "photos");
  const Result<std::string>& cr = r;
  EXPECT_EQ(cr.value(), "photos");
  EXPECT_EQ(*cr, "photos");
  EXPECT_EQ(cr->size(), 6u);
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, "photos");
}

TEST(Result, HoldsTheStatusOfEveryErrorCode) {
  for (const auto& row : kCodes) {
    if (row.code == StatusCode::kOk) continue;  // a Result from an ok Status is a bug (asserts)
    SCOPED_TRACE(row.name);
    Result<int> r(Status(row.code, "no value"));
    EXPECT_FALSE(r.isOk());
    EXPECT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(r.status().code(), row.code);
    EXPECT_EQ(r.status().message(), "no value");
  }
}

TEST(Result, ConvertsImplicitlyFromAValueAndFromAHelper) {
  auto half = [](int n) -> Result<int> {
    if (n % 2 != 0) return invalidArgument(std::to_string(n) + " is odd");
    return n / 2;
  };
  ASSERT_TRUE(half(8).isOk());
  EXPECT_EQ(*half(8), 4);
  const auto odd = half(7);
  ASSERT_FALSE(odd.isOk());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.status().message(), "7 is odd");
}

TEST(Result, CarriesMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(42));
  ASSERT_TRUE(r.isOk());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 42);
  Result<std::unique_ptr<int>> none(notFound("no such user"));
  EXPECT_FALSE(none.isOk());
  EXPECT_EQ(none.status().toString(), "NOT_FOUND: no such user");
}

#if !defined(NDEBUG) && GTEST_HAS_DEATH_TEST
TEST(ResultDeathTest, AnOkStatusIsNotAnError) {
  EXPECT_DEATH({ Result<int> r(Status::ok()); (void)r; }, "ok Status");
}
#endif

}  // namespace
}  // namespace hostapi
