#ifndef SEEDLORA_CREADLINE_SHIM_H
#define SEEDLORA_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
// Swift 6 cannot assign readline's globals; setters live here.
static inline void seedlora_rl_set_name(const char *name) { rl_readline_name = name; }
static inline const char *seedlora_rl_library_version(void) { return rl_library_version; }
#endif
