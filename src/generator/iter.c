/* iter.c - placeholder until the module lands. */
#include "generator/iter.h"
