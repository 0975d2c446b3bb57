/* backfill.h - placeholder until the module lands. */
#ifndef GENERATOR_BACKFILL_H
#define GENERATOR_BACKFILL_H
#endif
