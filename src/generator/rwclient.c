/* rwclient.c - placeholder until the module lands. */
#include "generator/rwclient.h"
