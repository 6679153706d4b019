// PhotoSync's own checks of a settings page, on top of hostapi::validatePageValues: credentials
// that must parse (PEM certificate and key, the Google service-account JSON), identifiers with a
// known shape (tenant, client id, email) and whole numbers where the engine needs them.
#pragma once

#include <vector>

#include "hostapi/settings.h"

namespace photosync {

/// Every problem of `values` on `page` (a page of the PhotoSync manifest), the generic ones
/// first. At most one error per field; messages never repeat a secret.
std::vector<hostapi::FieldError> checkPageValues(const hostapi::PageDescriptor& page,
                                                 const hostapi::PageValues& values);

}  // namespace photosync
