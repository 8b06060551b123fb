/* pg_principal: who is calling. auth/ fills it (auth_verify); http/ carries
 * it in each request and audit records it, neither knowing how tokens work. */
#ifndef PG_PRINCIPAL_H
#define PG_PRINCIPAL_H

#include <stdint.h>

typedef uint64_t auth_perms;

enum auth_kind { AUTH_NONE = 0, AUTH_ADMIN, AUTH_AGENT };

struct auth_principal {
	enum auth_kind kind;
	int64_t token_id;
	int64_t node_id; /* agent tokens */
	auth_perms perms;
	int64_t expires_at; /* ms, 0: never */
	char actor[96];     /* "token:3:deploy-bot", "node:7", "system" */
	/* "config:5": the token may call only routes of that scope (http_route
	 * .scope) for that object; "" for none. */
	char scope[32];
};

#endif
