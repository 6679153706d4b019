// `idp-sim provision`: a generic SCIM 2.0 client that pushes the simulator's users (with their
// `photos`) into a SCIM service provider as an IdP would — POST /Users, PUT on conflict,
// PATCH photos, and deactivation via PATCH active=false.
#pragma once

namespace idpsim {

int runProvision(int argc, char** argv);

}  // namespace idpsim
