/* prom.c - placeholder until the module lands. */
#include "mirror/prom.h"
