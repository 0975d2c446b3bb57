/* backfill.c - placeholder until the module lands. */
#include "generator/backfill.h"
