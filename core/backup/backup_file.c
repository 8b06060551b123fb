/* backup_file: the encrypted backup file (see backup.h). */
#include "backup/backup.h"
#include "common/pg_crypto.h"
#include "common/pg_json.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "PAGODABK"
#define FORMAT 1
#define HEADER_LEN 40 /* magic 8, format 1, log2 N 1, r 1, p 1, salt 16, nonce 12 */
#define TAG_LEN 16
#define CHUNK 65536
#define MANIFEST_MAX 65536
/* 64 MiB of memory per derivation: costly to guess at, quick enough here */
#define SCRYPT_LOG2N 16
#define SCRYPT_R 8
#define SCRYPT_P 1

static int derive(const char *passphrase, const unsigned char *h, unsigned char key[32],
                  struct pg_err *err)
{
	unsigned log2n = h[9], r = h[10], p = h[11];
	/* what a file may ask for is bounded: a crafted one must not take the
	 * machine's memory or a day of CPU */
	if (log2n < 14 || log2n > 22 || r < 1 || r > 16 || p < 1 || p > 4)
		return pg_err_set(err, PG_EINVAL, "from",
		                  "not a Pagoda backup (bad key derivation parameters)");
	uint64_t n = 1ull << log2n;
	if (EVP_PBE_scrypt(passphrase, strlen(passphrase), h + 12, 16, n, r, p,
	                   128 * r * (n + p + 2) + (1u << 20), key, 32) != 1)
		return pg_err_set(err, PG_EINTERNAL, "", "scrypt failed");
	return 0;
}

static bool write_all(int fd, const void *p, size_t n)
{
	for (const char *c = p; n;) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

static bool seal_write(EVP_CIPHER_CTX *cx, int fd, const unsigned char *in, size_t n)
{
	unsigned char out[CHUNK + 32];
	while (n) {
		int len, take = n > CHUNK ? CHUNK : (int)n;
		if (EVP_EncryptUpdate(cx, out, &len, in, take) != 1 ||
		    !write_all(fd, out, (size_t)len))
			return false;
		in += take;
		n -= (size_t)take;
	}
	return true;
}

int backup_file_write(const char *out_path, const char *passphrase, const struct backup_part *parts,
                      size_t nparts, json_t *meta, struct pg_err *err)
{
	unsigned char h[HEADER_LEN] = MAGIC, key[32];
	h[8] = FORMAT;
	h[9] = SCRYPT_LOG2N;
	h[10] = SCRYPT_R;
	h[11] = SCRYPT_P;
	if (pg_random_bytes(h + 12, 28) != 0)
		return pg_err_set(err, PG_EINTERNAL, "",
		                  "no randomness for the backup's salt and nonce");
	int rc = derive(passphrase, h, key, err);
	if (rc)
		return rc;
	/* the manifest first: sizes and digests of the files as they are now */
	json_t *files = json_array();
	for (size_t i = 0; i < nparts && rc == 0; i++) {
		struct stat st;
		if (stat(parts[i].path, &st) != 0)
			rc = pg_err_set(err, PG_EINTERNAL, "", "cannot read %s: %s", parts[i].path,
			                strerror(errno));
		else
			json_array_append_new(files, json_pack("{s:s, s:I}", "name", parts[i].name,
			                                       "size", (json_int_t)st.st_size));
	}
	json_t *manifest = json_deep_copy(meta);
	json_object_set_new(manifest, "format", json_integer(FORMAT));
	json_object_set(manifest, "files", files);
	char *line = rc == 0 ? json_dumps(manifest, JSON_COMPACT) : NULL;
	json_decref(manifest);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
	int fd = rc == 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)
	                 : -1;
	if (rc == 0 && fd < 0)
		rc = pg_err_set(err, PG_EINTERNAL, "", "cannot create %s: %s", tmp,
		                strerror(errno));
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int len;
	bool ok = rc == 0 && cx && write_all(fd, h, HEADER_LEN) &&
	          EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	          EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
	          EVP_EncryptInit_ex(cx, NULL, NULL, key, h + 28) == 1 &&
	          EVP_EncryptUpdate(cx, NULL, &len, h, HEADER_LEN) == 1 &&
	          seal_write(cx, fd, (const unsigned char *)line, strlen(line)) &&
	          seal_write(cx, fd, (const unsigned char *)"\n", 1);
	/* then each file, exactly as many bytes as the manifest says */
	for (size_t i = 0; ok && i < nparts; i++) {
		int in = open(parts[i].path, O_RDONLY | O_CLOEXEC);
		json_int_t want = json_integer_value(
		                   json_object_get(json_array_get(files, i), "size")),
		           got = 0;
		unsigned char buf[CHUNK];
		ssize_t n;
		while (in >= 0 && got < want &&
		       (n = read(in, buf, (size_t)(want - got > CHUNK ? CHUNK : want - got))) > 0) {
			ok = ok && seal_write(cx, fd, buf, (size_t)n);
			got += n;
		}
		if (in >= 0)
			close(in);
		if (got != want)
			ok = !pg_err_set(err, PG_EINTERNAL, "", "%s changed while it was backed up",
			                 parts[i].path);
	}
	unsigned char tag[TAG_LEN], fin[32];
	ok = ok && EVP_EncryptFinal_ex(cx, fin, &len) == 1 && write_all(fd, fin, (size_t)len) &&
	     EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1 &&
	     write_all(fd, tag, TAG_LEN) && fsync(fd) == 0;
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	if (rc == 0 && ok && rename(tmp, out_path) != 0)
		ok = false;
	if (rc == 0 && !ok) {
		if (!err->message[0])
			pg_err_set(err, PG_EINTERNAL, "", "cannot write %s: %s", out_path,
			           strerror(errno));
		rc = err->code ? err->code : PG_EINTERNAL;
	}
	if (rc != 0 && fd >= 0)
		unlink(tmp);
	EVP_CIPHER_CTX_free(cx);
	explicit_bzero(key, sizeof(key));
	json_decref(files);
	free(line);
	return rc;
}

/* Reading: the plaintext comes out in pieces; until the tag verifies at the
 * end, whatever was written is provisional and removed on failure. */
struct reader {
	int fd;
	EVP_CIPHER_CTX *cx;
	off_t left; /* ciphertext bytes before the tag */
	unsigned char plain[CHUNK + 32];
	size_t have, used;
};

static int refill(struct reader *r, struct pg_err *err)
{
	unsigned char in[CHUNK];
	size_t want = r->left > CHUNK ? CHUNK : (size_t)r->left;
	ssize_t n = want ? read(r->fd, in, want) : 0;
	if (n <= 0)
		return pg_err_set(err, PG_EINVAL, "from", "the backup is truncated");
	int len;
	if (EVP_DecryptUpdate(r->cx, r->plain, &len, in, (int)n) != 1)
		return pg_err_set(err, PG_EINTERNAL, "", "decryption failed");
	r->left -= n;
	r->have = (size_t)len;
	r->used = 0;
	return 0;
}

/* Up to n plaintext bytes into out (n at most CHUNK); *got how many. */
static int take(struct reader *r, unsigned char *out, size_t n, size_t *got, struct pg_err *err)
{
	if (r->used == r->have) {
		int rc = refill(r, err);
		if (rc)
			return rc;
	}
	*got = r->have - r->used < n ? r->have - r->used : n;
	memcpy(out, r->plain + r->used, *got);
	r->used += *got;
	return 0;
}

static const char *const allowed_names[] = {"pagoda.db", "master.key", "tls/ca.crt", "tls/ca.key",
                                            NULL};

static bool name_ok(const char *name)
{
	for (int i = 0; allowed_names[i]; i++)
		if (strcmp(name, allowed_names[i]) == 0)
			return true;
	return false;
}

static void remove_written(const char *dir, json_t *files, size_t n)
{
	char path[4200];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
		         json_string_value(json_object_get(json_array_get(files, i), "name")));
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/tls", dir);
	rmdir(path);
}

int backup_file_read(const char *in_path, const char *passphrase, const char *dir,
                     json_t **manifest, struct pg_err *err)
{
	*manifest = NULL;
	struct reader r = {.fd = open(in_path, O_RDONLY | O_CLOEXEC)};
	unsigned char h[HEADER_LEN], key[32], tag[TAG_LEN];
	struct stat st;
	if (r.fd < 0)
		return pg_err_set(err, PG_EINVAL, "from", "cannot read %s: %s", in_path,
		                  strerror(errno));
	int rc = 0;
	if (fstat(r.fd, &st) != 0 || st.st_size < HEADER_LEN + TAG_LEN + 2 ||
	    read(r.fd, h, HEADER_LEN) != HEADER_LEN || memcmp(h, MAGIC, 8) != 0)
		rc = pg_err_set(err, PG_EINVAL, "from",
		                "%s is not a Pagoda backup (or is truncated)", in_path);
	else if (h[8] != FORMAT)
		rc = pg_err_set(err, PG_EINVAL, "from",
		                "%s has backup format %d; this pagodad reads format %d", in_path,
		                h[8], FORMAT);
	else if (pread(r.fd, tag, TAG_LEN, st.st_size - TAG_LEN) != TAG_LEN)
		rc = pg_err_set(err, PG_EINVAL, "from", "cannot read %s", in_path);
	if (rc == 0)
		rc = derive(passphrase, h, key, err);
	int len;
	r.left = st.st_size - HEADER_LEN - TAG_LEN;
	if (rc == 0 && (!(r.cx = EVP_CIPHER_CTX_new()) ||
	                EVP_DecryptInit_ex(r.cx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	                EVP_CIPHER_CTX_ctrl(r.cx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	                EVP_DecryptInit_ex(r.cx, NULL, NULL, key, h + 28) != 1 ||
	                EVP_DecryptUpdate(r.cx, NULL, &len, h, HEADER_LEN) != 1))
		rc = pg_err_set(err, PG_EINTERNAL, "", "cannot start decryption");
	explicit_bzero(key, sizeof(key));
	static const char wrong[] = "wrong passphrase, or the backup was altered or truncated";
	/* the manifest line */
	char line[MANIFEST_MAX + 1];
	size_t n = 0;
	while (rc == 0) {
		unsigned char c;
		size_t got;
		if ((rc = take(&r, &c, 1, &got, err)) != 0)
			break;
		if (c == '\n')
			break;
		if (n == MANIFEST_MAX || c == 0)
			rc = pg_err_set(err, PG_EINVAL, "passphrase", "%s", wrong);
		else
			line[n++] = (char)c;
	}
	line[n] = '\0';
	json_t *m = rc == 0 ? json_loads(line, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *files = json_object_get(m, "files");
	if (rc == 0 && !json_is_array(files))
		rc = pg_err_set(err, PG_EINVAL, "passphrase", "%s", wrong);
	size_t i, written = 0;
	json_t *f;
	json_array_foreach (files, i, f) {
		if (rc)
			break;
		const char *name = json_string_value(json_object_get(f, "name"));
		json_int_t size = json_integer_value(json_object_get(f, "size"));
		if (!name || !name_ok(name) || size < 0 ||
		    size > r.left + (json_int_t)(r.have - r.used)) {
			rc = pg_err_set(err, PG_EINVAL, "passphrase", "%s", wrong);
			break;
		}
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (strncmp(name, "tls/", 4) == 0) {
			char sub[4200];
			snprintf(sub, sizeof(sub), "%s/tls", dir);
			mkdir(sub, 0700);
		}
		int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0) {
			rc = pg_err_set(err, PG_EINTERNAL, "", "cannot create %s: %s", path,
			                strerror(errno));
			break;
		}
		written = i + 1;
		unsigned char buf[CHUNK];
		for (json_int_t left = size; rc == 0 && left > 0;) {
			size_t got;
			rc = take(&r, buf, left > CHUNK ? CHUNK : (size_t)left, &got, err);
			if (rc == 0 && !write_all(out, buf, got))
				rc = pg_err_set(err, PG_EINTERNAL, "", "cannot write %s: %s", path,
				                strerror(errno));
			left -= (json_int_t)got;
		}
		if (fsync(out) != 0 && rc == 0)
			rc = pg_err_set(err, PG_EINTERNAL, "", "cannot write %s: %s", path,
			                strerror(errno));
		close(out);
	}
	/* nothing may follow the last file; then the tag decides */
	unsigned char fin[32];
	if (rc == 0 && (r.left != 0 || r.used != r.have))
		rc = pg_err_set(err, PG_EINVAL, "passphrase", "%s", wrong);
	if (rc == 0 && (EVP_CIPHER_CTX_ctrl(r.cx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	                EVP_DecryptFinal_ex(r.cx, fin, &len) != 1))
		rc = pg_err_set(err, PG_EINVAL, "passphrase", "%s", wrong);
	if (rc != 0) {
		/* a wrong passphrase shows as garbage anywhere: say so, not "truncated" */
		if (err->code == PG_EINVAL && strcmp(err->field, "from") == 0 && r.cx)
			pg_err_set(err, PG_EINVAL, "passphrase", "%s", wrong);
		remove_written(dir, files, written);
		json_decref(m);
	} else {
		*manifest = m;
	}
	EVP_CIPHER_CTX_free(r.cx);
	close(r.fd);
	return rc;
}
