// Planted for tests/independence: clean; the data directory's name is not an include.
#include <string>
int main() { return std::string("./photosync-data").empty() ? 1 : 0; }
