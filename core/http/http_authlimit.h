/* http_authlimit: failed authentications per source address. After `limit`
 * failures within a minute an address is refused (429) for a minute, valid
 * token or not: guessing tokens from one address stops, and an operator
 * behind the same address sees why in the error and Retry-After. */
#ifndef HTTP_AUTHLIMIT_H
#define HTTP_AUTHLIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct http_authlimit;

/* limit 0: no limit. */
struct http_authlimit *http_authlimit_new(int limit);
void http_authlimit_free(struct http_authlimit *l);
/* Seconds the address must still wait (0: it may try). */
int64_t http_authlimit_blocked(struct http_authlimit *l, const char *ip, int64_t now_ms);
/* Counts a failure; true when it starts a block. */
bool http_authlimit_fail(struct http_authlimit *l, const char *ip, int64_t now_ms);

#endif
