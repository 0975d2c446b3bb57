/* rwclient.h - placeholder until the module lands. */
#ifndef GENERATOR_RWCLIENT_H
#define GENERATOR_RWCLIENT_H
#endif
