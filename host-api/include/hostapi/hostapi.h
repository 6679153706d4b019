// Everything a plugin may see of a host, in one include.
#pragma once

#include "hostapi/cluster_lock.h"
#include "hostapi/connection.h"
#include "hostapi/manifest.h"
#include "hostapi/plugin.h"
#include "hostapi/plugin_abi.h"
#include "hostapi/report.h"
#include "hostapi/run_control.h"
#include "hostapi/services.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "hostapi/user.h"
#include "hostapi/user_status.h"
#include "hostapi/version.h"
