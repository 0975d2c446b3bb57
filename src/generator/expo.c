/* expo.c - placeholder until the module lands. */
#include "generator/expo.h"
