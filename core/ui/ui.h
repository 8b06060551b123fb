/* ui: the web console. Its assets (ui/ at the top of the tree) are compiled
 * into pagodad and served at /ui/; the console talks to the REST API with
 * the operator's token like any other client. */
#ifndef UI_H
#define UI_H

#include "http/http.h"

extern const struct http_route ui_routes[];

#endif
