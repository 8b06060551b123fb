/* Certificate import: PEM parsing, the key match, the ARI certificate id.
 * Input: a certificate PEM, optionally followed by a NUL and a key PEM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssl/ssl_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cert = malloc(size + 1);
	memcpy(cert, data, size);
	cert[size] = '\0';
	const char *key = memchr(data, 0, size) ? cert + strlen(cert) + 1 : "";
	struct pg_err err = {0};
	struct ssl_cert_info info;
	memset(&info, 0, sizeof(info));
	if (ssl_cert_parse(cert, &info, &err) == 0)
		ssl_cert_info_free(&info);
	ssl_cert_check(cert, key, &err);
	char *id = NULL;
	if (ssl_ari_cert_id(cert, &id, &err) == 0)
		free(id);
	free(cert);
	return 0;
}
