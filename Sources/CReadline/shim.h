#ifndef SEEDLORA_CREADLINE_SHIM_H
#define SEEDLORA_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
// Swift 6 cannot assign (or safely read) readline's globals; accessors live here.
static inline void seedlora_rl_set_name(const char *name) { rl_readline_name = name; }
static inline const char *seedlora_rl_library_version(void) { return rl_library_version; }
static inline void seedlora_rl_set_catch_signals(int on) { rl_catch_signals = on; rl_catch_sigwinch = on; }
static inline void seedlora_rl_set_completion(rl_completion_func_t *f) { rl_attempted_completion_function = f; }
static inline void seedlora_rl_set_word_breaks(const char *breaks) { rl_completer_word_break_characters = breaks; }
static inline void seedlora_rl_set_quote_characters(const char *quotes) { rl_completer_quote_characters = quotes; }
static inline void seedlora_rl_set_completion_over(int over) { rl_attempted_completion_over = over; }
static inline void seedlora_rl_set_append_character(int c) { rl_completion_append_character = c; }
static inline void seedlora_rl_set_suppress_quote(int on) { rl_completion_suppress_quote = on; }
static inline const char *seedlora_rl_line_buffer(void) { return rl_line_buffer; }
static inline int seedlora_rl_completion_quote(void) { return rl_completion_quote_character; }
static inline int seedlora_rl_point(void) { return rl_point; }
static inline void seedlora_rl_set_filename_completion(int on) { rl_filename_completion_desired = on; }
// History entries that span lines: written with a "#<time>" line before each entry, and read
// back whole when `multiline` is on (a file in the older one-line-per-entry form is read with it off).
static inline void seedlora_history_use_timestamps(int multiline) {
    history_comment_char = '#';
    history_write_timestamps = 1;
    history_multiline_entries = multiline;
}
static inline int seedlora_history_length(void) { return history_length; }
static inline int seedlora_history_base(void) { return history_base; }
#endif
