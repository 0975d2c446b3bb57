/* remote.h - placeholder until the module lands. */
#ifndef GENERATOR_REMOTE_H
#define GENERATOR_REMOTE_H
#endif
