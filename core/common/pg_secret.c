#include "common/pg_secret.h"
#include "common/pg_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE 12
#define TAG 16

int pg_secret_key_load(const char *data_dir, struct pg_secret_key *out, struct pg_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/master.key", data_dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		unsigned char k[32];
		if (pg_random_bytes(k, sizeof(k)) != 0)
			return pg_err_set(err, PG_EINTERNAL, "",
			                  "no randomness for the master key");
		char tmp[4200];
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		bool ok = w >= 0 && fchmod(w, 0600) == 0 &&
		          write(w, k, sizeof(k)) == (ssize_t)sizeof(k) && fsync(w) == 0;
		if (w >= 0)
			ok = close(w) == 0 && ok;
		if (!ok || rename(tmp, path) != 0) {
			unlink(tmp);
			return pg_err_set(err, PG_EINTERNAL, "", "cannot create %s: %s", path,
			                  strerror(errno));
		}
		explicit_bzero(k, sizeof(k));
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return pg_err_set(err, PG_EINTERNAL, "", "cannot open %s: %s", path,
		                  strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return pg_err_set(err, PG_EINVAL, "",
		                  "%s must be a regular file owned by this user with mode "
		                  "0600 (fix: chmod 600 %s)",
		                  path, path);
	}
	ssize_t n = read(fd, out->key, sizeof(out->key));
	close(fd);
	if (n != (ssize_t)sizeof(out->key))
		return pg_err_set(err, PG_EINVAL, "", "%s must hold exactly 32 bytes", path);
	return 0;
}

int pg_secret_seal(const struct pg_secret_key *k, const void *plain, size_t len,
                   const char *context, char **sealed, struct pg_err *err)
{
	size_t raw_len = NONCE + len + TAG;
	unsigned char *raw = malloc(raw_len);
	char *out = malloc(3 + 4 * ((raw_len + 2) / 3) + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok = raw && out && c && pg_random_bytes(raw, NONCE) == 0 &&
	                EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, raw) == 1 &&
	                EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)context,
	                                  (int)strlen(context)) == 1 &&
	                EVP_EncryptUpdate(c, raw + NONCE, &n, plain, (int)len) == 1 &&
	                EVP_EncryptFinal_ex(c, raw + NONCE + n, &n) == 1 &&
	                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, raw + NONCE + len) == 1;
	EVP_CIPHER_CTX_free(c);
	if (ok) {
		memcpy(out, "v1:", 3);
		EVP_EncodeBlock((unsigned char *)out + 3, raw, (int)raw_len);
		*sealed = out;
	} else {
		free(out);
	}
	free(raw);
	return ok ? 0 : pg_err_set(err, PG_EINTERNAL, "", "cannot encrypt a secret");
}

int pg_secret_open(const struct pg_secret_key *k, const char *sealed, const char *context,
                   char **plain, size_t *len, struct pg_err *err)
{
	if (strncmp(sealed, "v1:", 3) != 0)
		return pg_err_set(err, PG_EINTERNAL, "", "unknown secret format");
	const char *b64 = sealed + 3;
	size_t blen = strlen(b64);
	unsigned char *raw = malloc(blen / 4 * 3 + 3);
	int n = raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen) : -1;
	if (n > 0)
		n -= (blen >= 1 && b64[blen - 1] == '=') + (blen >= 2 && b64[blen - 2] == '=');
	if (n < NONCE + TAG) {
		free(raw);
		return pg_err_set(err, PG_EINTERNAL, "", "a sealed secret is damaged");
	}
	size_t clen = (size_t)n - NONCE - TAG;
	char *out = malloc(clen + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int m = 0,
	    ok = out && c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, raw) == 1 &&
	         EVP_DecryptUpdate(c, NULL, &m, (const unsigned char *)context,
	                           (int)strlen(context)) == 1 &&
	         EVP_DecryptUpdate(c, (unsigned char *)out, &m, raw + NONCE, (int)clen) == 1 &&
	         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, raw + NONCE + clen) == 1 &&
	         EVP_DecryptFinal_ex(c, (unsigned char *)out + m, &m) == 1;
	EVP_CIPHER_CTX_free(c);
	free(raw);
	if (!ok) {
		if (out)
			explicit_bzero(out, clen + 1);
		free(out);
		return pg_err_set(err, PG_EINTERNAL, "",
		                  "a secret does not open with this master key "
		                  "(wrong key, or a value moved from elsewhere)");
	}
	out[clen] = '\0';
	*plain = out;
	*len = clen;
	return 0;
}

static bool secret_key(const char *k)
{
	/* "webhook": a chat's webhook URL is its credential */
	static const char *const words[] = {"secret",        "password", "token", "key",
	                                    "authorization", "webhook",  NULL};
	for (int i = 0; words[i]; i++)
		if (strcasestr(k, words[i]))
			return true;
	return false;
}

/* Masks in place, at every depth: a TSIG key or a provider's credentials
 * sit inside nested objects ({tsig: {secret}}). */
static void mask_in(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_array(v))
		json_array_foreach (v, i, x)
			mask_in(x);
	json_object_foreach (v, k, x) {
		if (secret_key(k))
			json_object_set_new(v, k, json_string("******"));
		else
			mask_in(x);
	}
}

json_t *pg_secret_masked(json_t *obj)
{
	json_t *out = json_is_object(obj) ? json_deep_copy(obj) : json_object();
	mask_in(out);
	return out;
}

void pg_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
