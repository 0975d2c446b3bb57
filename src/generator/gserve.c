/* gserve.c - placeholder until the module lands. */
#include "generator/gserve.h"
