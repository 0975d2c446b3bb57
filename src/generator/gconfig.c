/* gconfig.c - placeholder until the module lands. */
#include "generator/gconfig.h"
