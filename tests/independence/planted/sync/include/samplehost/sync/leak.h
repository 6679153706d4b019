// Planted for tests/independence.
#pragma once
#  include <photosync/common/crypto.h>
