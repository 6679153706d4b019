// Planted for tests/independence: the first include must be reported, the rest not.
#include "photosync/http/client.h"
#include "samplehost/net/http_client.h"
// #include "photosync/in/a/comment.h"
const char* kKey = "photosync";
