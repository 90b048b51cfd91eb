/* gb_log: the handler's own process log.
 *
 * The Functions host records a custom handler's stdout at Information and its
 * stderr at Error, so info lines go to stdout and errors to stderr, one line
 * per call. Per-invocation lines belong in the invocation's Logs array
 * instead (gb_invocation_log). Never pass a secret to these functions;
 * URI credentials are masked anyway (gb_log_redact). */
#ifndef GB_LOG_H
#define GB_LOG_H

void gb_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gb_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Defence in depth for text the handler did not write itself (library
 * messages): masks the user-info (user name and key) of every URI in line
 * with at most three asterisks, in place. */
void gb_log_redact(char *line);

#endif
