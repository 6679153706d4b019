// The per-user decision (photosync::sync::decide) as one table: every row of the override policy
// table and every "no photo" case of docs/architecture.md, the unchanged test, and errors that
// must never count as "no photo"; then an admin's refusal of a held revert and a photo refused
// before with the same tag.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "photosync/sync/decision.h"

namespace {

using hostapi::AvatarInfo;
using hostapi::AvatarOrigin;
using photosync::providers::PhotoState;
using photosync::providers::VersionInfo;
using photosync::sync::Action;
using photosync::sync::decide;
using photosync::sync::decideNoPhoto;
using photosync::sync::NoPhotoAction;
using photosync::sync::OverridePolicy;
using photosync::sync::PageConfig;
using photosync::sync::UserState;

constexpr const char* kKey = "photosync";
constexpr const char* kOurSha = "sha-ours";

const char* actionName(Action a) {
  switch (a) {
    case Action::kUnchanged: return "unchanged";
    case Action::kDownload: return "download";
    case Action::kSkip: return "skip";
    case Action::kWithoutPhoto: return "withoutPhoto";
    case Action::kPendingRevert: return "pendingRevert";
    case Action::kFail: return "fail";
  }
  return "?";
}

// What the IdP answered.
enum class Idp { kTag1, kTag2, kNoTag, kNoPhoto, kNoPhotoInferred, kError };
// The stored state row.
enum class Row { kNone, kTag1, kTag1Held, kTag1OtherHash, kEmptyTag };
// The host's current avatar.
enum class Cur { kDefault, kOurs, kOtherPlugin, kUploaded };

VersionInfo version(Idp i) {
  VersionInfo v;
  switch (i) {
    case Idp::kTag1: v = {PhotoState::kPhoto, "t1", {}, false}; break;
    case Idp::kTag2: v = {PhotoState::kPhoto, "t2", {}, false}; break;
    case Idp::kNoTag: v = {PhotoState::kPhoto, "", {}, false}; break;
    case Idp::kNoPhoto: v = {PhotoState::kNoPhoto, "", {}, false}; break;
    case Idp::kNoPhotoInferred: v = {PhotoState::kNoPhoto, "", {}, true}; break;
    case Idp::kError:
      v = {PhotoState::kError, "", hostapi::resourceExhausted("throttled by Microsoft Graph (429) after 5 attempts"), false};
      break;
  }
  return v;
}

std::optional<UserState> row(Row r) {
  UserState s;
  s.provider = "graph";
  s.versionTag = "t1";
  s.avatarSha256 = kOurSha;
  s.lastOutcome = "updated";
  switch (r) {
    case Row::kNone: return std::nullopt;
    case Row::kTag1: break;
    case Row::kTag1Held: s.revertHeld = true; s.lastOutcome = "heldBack"; break;
    case Row::kTag1OtherHash: s.avatarSha256 = "sha-before-the-user-changed-it"; break;
    case Row::kEmptyTag: s.versionTag.clear(); break;
  }
  return s;
}

AvatarInfo current(Cur c) {
  AvatarInfo a;
  switch (c) {
    case Cur::kDefault: break;
    case Cur::kOurs: a = {AvatarOrigin::kSetByPlugin, kKey, kOurSha, "image/jpeg", 100, 0}; break;
    case Cur::kOtherPlugin: a = {AvatarOrigin::kSetByPlugin, "otherplugin", "sha-other", "image/png", 100, 0}; break;
    case Cur::kUploaded: a = {AvatarOrigin::kUploadedByUser, "", "sha-upload", "image/jpeg", 100, 0}; break;
  }
  return a;
}

PageConfig page(OverridePolicy p, NoPhotoAction n) {
  PageConfig c;
  c.overridePolicy = p;
  c.noPhotoAction = n;
  return c;
}

constexpr OverridePolicy kIdp = OverridePolicy::kIdpAuthoritative;
constexpr OverridePolicy kUnless = OverridePolicy::kUnlessUserUploaded;
constexpr OverridePolicy kFill = OverridePolicy::kFillEmptyOnly;
constexpr NoPhotoAction kRevert = NoPhotoAction::kRevert;
constexpr NoPhotoAction kKeep = NoPhotoAction::kKeep;

struct Case {
  const char* what;
  Idp idp;
  Row row;
  Cur cur;
  OverridePolicy policy;
  NoPhotoAction noPhoto;
  Action want;
  const char* reasonHas;  // a part of the reason; "" = the reason must be empty
  bool clearsHeldRevert = false;  // a row without revertHeld is to be written
};

const Case kCases[] = {
    // Override policy table (a changed photo at the IdP): write = download, keep = skip.
    {"idpAuthoritative over default", Idp::kTag2, Row::kNone, Cur::kDefault, kIdp, kRevert, Action::kDownload, ""},
    {"idpAuthoritative over ours", Idp::kTag2, Row::kTag1, Cur::kOurs, kIdp, kRevert, Action::kDownload, ""},
    {"idpAuthoritative over another plugin's", Idp::kTag2, Row::kNone, Cur::kOtherPlugin, kIdp, kRevert, Action::kDownload, ""},
    {"idpAuthoritative over uploaded", Idp::kTag2, Row::kNone, Cur::kUploaded, kIdp, kRevert, Action::kDownload, ""},
    {"unlessUserUploaded over default", Idp::kTag2, Row::kNone, Cur::kDefault, kUnless, kRevert, Action::kDownload, ""},
    {"unlessUserUploaded over ours", Idp::kTag2, Row::kTag1, Cur::kOurs, kUnless, kRevert, Action::kDownload, ""},
    {"unlessUserUploaded over another plugin's", Idp::kTag2, Row::kNone, Cur::kOtherPlugin, kUnless, kRevert, Action::kDownload, ""},
    {"unlessUserUploaded keeps uploaded", Idp::kTag2, Row::kNone, Cur::kUploaded, kUnless, kRevert, Action::kSkip,
     "the user uploaded their own avatar; left as is (override policy: unlessUserUploaded)"},
    {"fillEmptyOnly over default", Idp::kTag2, Row::kNone, Cur::kDefault, kFill, kRevert, Action::kDownload, ""},
    {"fillEmptyOnly over ours", Idp::kTag2, Row::kTag1, Cur::kOurs, kFill, kRevert, Action::kDownload, ""},
    {"fillEmptyOnly keeps another plugin's", Idp::kTag2, Row::kNone, Cur::kOtherPlugin, kFill, kRevert, Action::kSkip,
     "the avatar was set by another source ('otherplugin'); left as is (override policy: fillEmptyOnly)"},
    {"fillEmptyOnly keeps uploaded", Idp::kTag2, Row::kNone, Cur::kUploaded, kFill, kRevert, Action::kSkip,
     "the user uploaded their own avatar; left as is (override policy: fillEmptyOnly)"},
    // The policy is decided before the unchanged test: a kept avatar is never "unchanged".
    {"fillEmptyOnly keeps another plugin's, same tag", Idp::kTag1, Row::kTag1, Cur::kOtherPlugin, kFill, kRevert,
     Action::kSkip, "override policy: fillEmptyOnly"},

    // Unchanged: same tag and the avatar still the one PhotoSync stored.
    {"same tag, our avatar, same hash", Idp::kTag1, Row::kTag1, Cur::kOurs, kIdp, kRevert, Action::kUnchanged, ""},
    {"same tag after a held revert: the row forgets it", Idp::kTag1, Row::kTag1Held, Cur::kOurs, kIdp, kRevert,
     Action::kUnchanged, "", true},
    {"same tag, avatar changed since", Idp::kTag1, Row::kTag1OtherHash, Cur::kOurs, kIdp, kRevert, Action::kDownload, ""},
    {"same tag, avatar reset to default", Idp::kTag1, Row::kTag1, Cur::kDefault, kIdp, kRevert, Action::kDownload, ""},
    {"same tag, avatar now uploaded", Idp::kTag1, Row::kTag1, Cur::kUploaded, kIdp, kRevert, Action::kDownload, ""},
    {"new tag", Idp::kTag2, Row::kTag1, Cur::kOurs, kIdp, kRevert, Action::kDownload, ""},
    {"no row", Idp::kTag1, Row::kNone, Cur::kOurs, kIdp, kRevert, Action::kDownload, ""},
    {"the IdP offers no tag: download and compare", Idp::kNoTag, Row::kEmptyTag, Cur::kOurs, kIdp, kRevert,
     Action::kDownload, ""},

    // No photo at the IdP.
    {"no photo, default avatar", Idp::kNoPhoto, Row::kNone, Cur::kDefault, kIdp, kRevert, Action::kWithoutPhoto,
     "no photo at the IdP"},
    {"no photo, uploaded avatar", Idp::kNoPhoto, Row::kNone, Cur::kUploaded, kIdp, kRevert, Action::kWithoutPhoto,
     "no photo at the IdP; the current avatar was not set by PhotoSync and is left as is"},
    {"no photo, another plugin's avatar", Idp::kNoPhoto, Row::kNone, Cur::kOtherPlugin, kIdp, kRevert,
     Action::kWithoutPhoto, "no photo at the IdP; the current avatar was not set by PhotoSync and is left as is"},
    {"no photo, ours, keep", Idp::kNoPhoto, Row::kTag1, Cur::kOurs, kIdp, kKeep, Action::kWithoutPhoto,
     "no photo at the IdP; the avatar PhotoSync set earlier is kept (setting: keep)"},
    {"no photo, ours, revert", Idp::kNoPhoto, Row::kTag1, Cur::kOurs, kIdp, kRevert, Action::kPendingRevert, ""},
    {"no photo, ours, revert held before", Idp::kNoPhoto, Row::kTag1Held, Cur::kOurs, kIdp, kRevert,
     Action::kPendingRevert, ""},
    {"no photo, ours without a row, revert", Idp::kNoPhoto, Row::kNone, Cur::kOurs, kIdp, kRevert,
     Action::kPendingRevert, ""},
    {"no photo, uploaded, fillEmptyOnly", Idp::kNoPhoto, Row::kNone, Cur::kUploaded, kFill, kRevert,
     Action::kWithoutPhoto, "not set by PhotoSync"},
    {"no photo, ours, fillEmptyOnly still reverts", Idp::kNoPhoto, Row::kTag1, Cur::kOurs, kFill, kRevert,
     Action::kPendingRevert, ""},
    // "No photo" inferred without a photo request (Google's users.list): confirmed by a download
    // only where an avatar would change.
    {"inferred no photo, ours, revert: confirm", Idp::kNoPhotoInferred, Row::kTag1, Cur::kOurs, kIdp, kRevert,
     Action::kDownload, ""},
    {"inferred no photo, ours, keep", Idp::kNoPhotoInferred, Row::kTag1, Cur::kOurs, kIdp, kKeep,
     Action::kWithoutPhoto, "(setting: keep)"},
    {"inferred no photo, default", Idp::kNoPhotoInferred, Row::kNone, Cur::kDefault, kIdp, kRevert,
     Action::kWithoutPhoto, "no photo at the IdP"},
    {"inferred no photo, uploaded", Idp::kNoPhotoInferred, Row::kNone, Cur::kUploaded, kIdp, kRevert,
     Action::kWithoutPhoto, "not set by PhotoSync"},

    // An error is never "no photo": failed, the avatar left as is, whatever the settings.
    {"error, ours, revert", Idp::kError, Row::kTag1, Cur::kOurs, kIdp, kRevert, Action::kFail,
     "throttled by Microsoft Graph (429) after 5 attempts; avatar left as is"},
    {"error, default", Idp::kError, Row::kNone, Cur::kDefault, kFill, kKeep, Action::kFail, "; avatar left as is"},
    {"error, uploaded, unlessUserUploaded", Idp::kError, Row::kNone, Cur::kUploaded, kUnless, kRevert, Action::kFail,
     "throttled"},
};

TEST(Decide, EveryRuleOfTheTable) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    const VersionInfo v = version(c.idp);
    const auto r = row(c.row);
    const AvatarInfo cur = current(c.cur);
    const PageConfig p = page(c.policy, c.noPhoto);
    const auto d = decide(v, r, cur, p, kKey);
    EXPECT_EQ(actionName(d.action), std::string(actionName(c.want)));
    if (*c.reasonHas == '\0')
      EXPECT_EQ(d.reason, "");
    else
      EXPECT_NE(d.reason.find(c.reasonHas), std::string::npos) << d.reason;
    EXPECT_EQ(d.row.has_value(), c.clearsHeldRevert);
    if (c.clearsHeldRevert && d.row) {
      EXPECT_FALSE(d.row->revertHeld);
      EXPECT_EQ(d.row->lastOutcome, "unchanged");
      EXPECT_EQ(d.row->versionTag, r->versionTag);
      EXPECT_EQ(d.row->avatarSha256, r->avatarSha256);
    }
    // A certain "no photo" after a download is decided the same way.
    if (c.idp == Idp::kNoPhoto) {
      const auto after = decideNoPhoto(cur, p, kKey);
      EXPECT_EQ(actionName(after.action), std::string(actionName(d.action)));
      EXPECT_EQ(after.reason, d.reason);
    }
  }
}

TEST(Decide, OursMeansOurPluginKey) {
  // The same avatar is PhotoSync's under its own key and another plugin's under any other.
  const AvatarInfo cur = current(Cur::kOurs);
  EXPECT_TRUE(photosync::sync::setByPlugin(cur, kKey));
  EXPECT_FALSE(photosync::sync::setByPlugin(cur, "photosync-other"));
  EXPECT_FALSE(photosync::sync::setByPlugin(current(Cur::kUploaded), ""));
  const PageConfig p = page(kFill, kRevert);
  EXPECT_EQ(decide(version(Idp::kTag1), row(Row::kTag1), cur, p, "photosync-other").action, Action::kSkip);
  EXPECT_EQ(decide(version(Idp::kNoPhoto), row(Row::kTag1), cur, p, "photosync-other").action,
            Action::kWithoutPhoto);
}

}  // namespace

namespace {

// An admin refused the held revert: the avatar PhotoSync set stays while the IdP says "no photo"
// (certain or inferred: nothing to confirm), and a photo back forgets the refusal.
TEST(Decide, ARefusedRevertKeepsTheAvatarUntilThePhotoIsBack) {
  auto r = row(Row::kTag1);
  r->revertRefused = true;
  const AvatarInfo cur = current(Cur::kOurs);
  const PageConfig p = page(kIdp, kRevert);
  for (Idp idp : {Idp::kNoPhoto, Idp::kNoPhotoInferred}) {
    const auto d = decide(version(idp), r, cur, p, kKey);
    EXPECT_EQ(actionName(d.action), std::string("withoutPhoto"));
    EXPECT_NE(d.reason.find("an admin refused the revert"), std::string::npos) << d.reason;
  }
  EXPECT_EQ(decideNoPhoto(cur, p, kKey, r).action, Action::kWithoutPhoto);
  EXPECT_EQ(decideNoPhoto(cur, p, kKey, row(Row::kTag1)).action, Action::kPendingRevert) << "not refused";
  const auto back = decide(version(Idp::kTag1), r, cur, p, kKey);
  EXPECT_EQ(back.action, Action::kUnchanged);
  ASSERT_TRUE(back.row.has_value());
  EXPECT_FALSE(back.row->revertRefused);
}

// A photo refused with this very tag is skipped (no download) until the page's interval passed.
TEST(Decide, APhotoRefusedWithTheSameTagIsSkippedUntilTheInterval) {
  constexpr std::int64_t kDay = 86'400'000;
  auto r = row(Row::kTag1);
  r->refusedTag = "t2";
  r->refusedAtMs = 10 * kDay;
  r->refusedReason = "image too large";
  PageConfig p = page(kIdp, kRevert);  // refusedRetryDays 7
  const AvatarInfo cur = current(Cur::kOurs);
  const auto skip = decide(version(Idp::kTag2), r, cur, p, kKey, 16 * kDay);
  EXPECT_EQ(skip.action, Action::kSkip);
  EXPECT_NE(skip.reason.find("refused before (image too large, 1970-01-11 00:00 UTC)"), std::string::npos) << skip.reason;
  EXPECT_EQ(decide(version(Idp::kTag2), r, cur, p, kKey, 17 * kDay).action, Action::kDownload) << "7 days passed";
  EXPECT_EQ(decide(version(Idp::kTag1), r, cur, p, kKey, 11 * kDay).action, Action::kUnchanged) << "another tag";
  EXPECT_EQ(decide(version(Idp::kNoTag), r, cur, p, kKey, 11 * kDay).action, Action::kDownload) << "no tag";
  p.refusedRetryDays = 0;
  EXPECT_EQ(decide(version(Idp::kTag2), r, cur, p, kKey, 10 * kDay).action, Action::kDownload) << "0: every run";
  // The override policy is decided first: its reason is the one an admin needs.
  EXPECT_NE(decide(version(Idp::kTag2), r, current(Cur::kUploaded), page(kUnless, kRevert), kKey, 11 * kDay)
                .reason.find("uploaded their own"),
            std::string::npos);
}

}  // namespace
