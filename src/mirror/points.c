/* points.c - placeholder until the module lands. */
#include "mirror/points.h"
