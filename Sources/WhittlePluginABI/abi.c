// The C ABI target: the header in include/ is the whole interface. This file
// pins the layout plugins compile against, so an accidental change to a struct
// fails the build instead of silently breaking plugins of the same version.
#include "whittle_plugin.h"

_Static_assert(sizeof(whittle_param_def) == 64, "whittle_param_def layout changed: bump WHITTLE_PLUGIN_ABI_VERSION");
_Static_assert(sizeof(whittle_pass_def) == 56, "whittle_pass_def layout changed: bump WHITTLE_PLUGIN_ABI_VERSION");
_Static_assert(sizeof(whittle_tensor_info) == 88, "whittle_tensor_info layout changed: bump WHITTLE_PLUGIN_ABI_VERSION");
_Static_assert(sizeof(whittle_host_api) == 24 + 19 * sizeof(void *),
               "whittle_host_api layout changed: bump WHITTLE_PLUGIN_ABI_VERSION");
