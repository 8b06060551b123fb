/* Unpacking a hostile artifact (agent_archive.c). Input: a format byte
 * (tar.gz, tar.xz, zip), a strip count byte, then the archive. Whatever it
 * holds, nothing may appear beside the release directory: the directory
 * that holds it must still hold only it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_archive.h"

#include <fcntl.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = {"tar.gz", "tar.xz", "zip"};
	if (size < 2)
		return 0;
	char base[] = "/tmp/pagoda-fuzz-unpack-XXXXXX", root[64], file[64];
	if (!mkdtemp(base))
		abort();
	snprintf(root, sizeof(root), "%s/r", base);
	snprintf(file, sizeof(file), "%s.in", base);
	mkdir(root, 0755);
	FILE *f = fopen(file, "wb");
	fwrite(data + 2, 1, size - 2, f);
	fclose(f);
	struct agent_unpack u = {.root = root,
	                         .dest = data[1] & 1 ? "sub/dir" : "",
	                         .format = formats[data[0] % 3],
	                         .strip = (data[1] >> 1) % 3,
	                         .max_bytes = 8 << 20};
	agent_unpack_file(&u, file);
	DIR *d = opendir(base);
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "r"))
			abort(); /* an entry escaped the release directory */
	closedir(d);
	int bfd = open(base, O_RDONLY | O_DIRECTORY);
	agent_tree_remove(bfd, "r");
	close(bfd);
	rmdir(base);
	unlink(file);
	return 0;
}
