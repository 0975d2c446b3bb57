/* promql.c - placeholder until the module lands. */
#include "mirror/promql.h"
