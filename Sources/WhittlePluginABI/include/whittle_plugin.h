/* whittle_plugin.h: the C ABI of Whittle native plugins. Defined by the plugins issue. */
#ifndef WHITTLE_PLUGIN_H
#define WHITTLE_PLUGIN_H
#define WHITTLE_PLUGIN_ABI_VERSION 1
#endif
