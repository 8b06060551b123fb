/* The routes of config/: /admin/configs... */
#ifndef CONFIG_HTTP_H
#define CONFIG_HTTP_H

#include "http/http.h"

extern const struct http_route config_routes[];

#endif
