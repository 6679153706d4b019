// Planted for tests/independence: under an exempt directory, so not reported.
#include "photosync/common/encoding.h"
