/* remote.c - placeholder until the module lands. */
#include "generator/remote.h"
