/* request.c - placeholder until the module lands. */
#include "mirror/request.h"
