/* gserve.h - placeholder until the module lands. */
#ifndef GENERATOR_GSERVE_H
#define GENERATOR_GSERVE_H
#endif
