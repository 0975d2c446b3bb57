/* gseries.c - placeholder until the module lands. */
#include "generator/gseries.h"
