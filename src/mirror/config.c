/* config.c - placeholder until the module lands. */
#include "mirror/config.h"
