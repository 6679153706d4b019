// Field descriptors as the console's API gives them (docs/admin-api.md, "Directories"): the
// same JSON shape for a plugin page's fields (from its manifest) and for a directory kind's
// connection fields (from directory_keys, with the types, labels and options a form needs).
#pragma once

#include <cpprest/json.h>

#include <vector>

#include "hostapi/settings.h"
#include "hostapi/user.h"

namespace samplehost::console {

web::json::value fieldJson(const hostapi::FieldDescriptor& f);
/// The connection fields of a directory kind as descriptors.
std::vector<hostapi::FieldDescriptor> directoryFields(hostapi::DirectoryKind kind);
const char* directoryKindLabel(hostapi::DirectoryKind kind);

}  // namespace samplehost::console
