/* upstream.c - placeholder until the module lands. */
#include "mirror/upstream.h"
