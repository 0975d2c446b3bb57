/* pbwrite.c - placeholder until the module lands. */
#include "generator/pbwrite.h"
