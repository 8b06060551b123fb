/* What this node can do (capabilities) and what it looks like (facts). */
#include "agent.h"
#include "common/pg_proc.h"

#include <mntent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

/* First line of a command's output (stdout, else stderr), or NULL. */
static char *first_line(char *const argv[])
{
	char *out = NULL, *err = NULL, why[128];
	int st = pg_run(argv, NULL, 5000, 4096, &out, &err, why, sizeof(why));
	char *src = (st == 0 && out && *out) ? out : (st == 0 ? err : NULL);
	char *line = NULL;
	if (src) {
		src[strcspn(src, "\n")] = '\0';
		line = strdup(src);
	}
	free(out);
	free(err);
	return line;
}

static json_t *version_after(const char *line, const char *marker)
{
	const char *p = line ? strstr(line, marker) : NULL;
	if (!p)
		return json_null();
	p += strlen(marker);
	return json_stringn(p, strcspn(p, " ()"));
}

json_t *agent_caps(const struct agent *a)
{
	json_t *c = json_object();
	char *const nginx_v[] = {"nginx", "-v", NULL};
	char *const systemctl_v[] = {"systemctl", "--version", NULL};
	char *nginx = first_line(nginx_v), *systemd = first_line(systemctl_v);
	json_object_set_new(c, "nginx", json_boolean(nginx != NULL));
	json_object_set_new(c, "nginxVersion", version_after(nginx, "nginx/"));
	/* systemctl may be installed where systemd is not PID 1 (containers). */
	json_object_set_new(c, "systemd",
	                    json_boolean(systemd && access("/run/systemd/system", F_OK) == 0));
	json_object_set_new(c, "systemdVersion", version_after(systemd, "systemd "));
	/* with --root, files land below it and systemd tasks are refused:
	 * planning leaves such a node out of SystemdService releases */
	json_object_set_new(c, "rootPrefix", json_boolean(a->root && *a->root));
	json_object_set_new(c, "os", json_string("linux"));
	json_object_set_new(c, "agentVersion", json_string(AGENT_VERSION));
	json_object_set_new(c, "taskTypes",
	                    json_pack("[s,s,s,s,s,s,s,s]", "ApplyConfigFiles", "RunCommand",
	                              "SystemdInstallUnit", "SystemdControl",
	                              "RenderAndDeployNginx", "DeployCertificate", "HealthProbe",
	                              "UpgradeAgent"));
	free(nginx);
	free(systemd);
	return c;
}

static json_t *os_release(void)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[512];
	json_t *name = json_null();
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		char *v = line + 12;
		v[strcspn(v, "\n")] = '\0';
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v[n - 1] = '\0';
			v++;
		}
		json_decref(name);
		name = json_string(v);
	}
	if (f)
		fclose(f);
	return name ? name : json_null();
}

/* A /proc/meminfo value in KiB, or -1. */
static json_int_t meminfo_kib(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && sscanf(line + n, "%lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

#define AGENT_MAX_MOUNTS 16

/* Use per mounted block device: the mounts an operator watches fill up.
 * Pseudo file systems, second mounts of one device (bind mounts) and network
 * file systems are left out: statvfs of a hung NFS server would hang the
 * heartbeat and make the node look offline. / always comes first. */
static json_t *disks(void)
{
	json_t *out = json_object();
	dev_t seen[AGENT_MAX_MOUNTS];
	size_t nseen = 0;
	FILE *m = setmntent("/proc/self/mounts", "r");
	struct mntent *e;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && m)
			rewind(m);
		while (m && nseen < AGENT_MAX_MOUNTS && (e = getmntent(m))) {
			bool root = strcmp(e->mnt_dir, "/") == 0,
			     real = strncmp(e->mnt_fsname, "/dev/", 5) == 0;
			struct stat st;
			struct statvfs vs;
			if ((pass == 0) != root || !(real || root) || stat(e->mnt_dir, &st) != 0 ||
			    statvfs(e->mnt_dir, &vs) != 0 || vs.f_blocks == 0)
				continue;
			bool dup = false;
			for (size_t i = 0; i < nseen; i++)
				dup = dup || seen[i] == st.st_dev;
			if (dup)
				continue;
			seen[nseen++] = st.st_dev;
			json_object_set_new(
			        out, e->mnt_dir,
			        json_pack("{s:s, s:s, s:I, s:I}", "device", e->mnt_fsname, "fsType",
			                  e->mnt_type, "totalBytes",
			                  (json_int_t)vs.f_blocks * vs.f_frsize, "freeBytes",
			                  (json_int_t)vs.f_bavail * vs.f_frsize));
		}
	}
	if (m)
		endmntent(m);
	return out;
}
/* The share of CPU time busy (not idle, not waiting on I/O) since the last
 * call, from /proc/stat's first line; -1 on the first call or when it
 * cannot be read. Heartbeats ask from two threads. */
static double cpu_busy(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned long long last_total, last_idle;
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	                   &v[3], &v[4], &v[5], &v[6], &v[7])
	          : 0;
	if (f)
		fclose(f);
	if (n < 5)
		return -1;
	unsigned long long total = 0, idle = v[3] + v[4];
	for (int i = 0; i < 8; i++)
		total += v[i];
	pthread_mutex_lock(&lock);
	double busy = last_total && total > last_total
	                      ? 1.0 - (double)(idle - last_idle) / (double)(total - last_total)
	                      : -1;
	last_total = total;
	last_idle = idle;
	pthread_mutex_unlock(&lock);
	return busy < 0 ? -1 : busy > 1 ? 1 : busy;
}

json_t *agent_facts(void)
{
	json_t *f = json_object();
	struct utsname u;
	char host[256] = "";
	if (uname(&u) == 0) {
		json_object_set_new(f, "kernel", json_string(u.release));
		json_object_set_new(f, "arch", json_string(u.machine));
	}
	gethostname(host, sizeof(host) - 1);
	json_object_set_new(f, "hostname", json_string(host));
	json_object_set_new(f, "osName", os_release());
	json_object_set_new(f, "cpuCount", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	struct sysinfo si;
	if (sysinfo(&si) == 0) {
		json_object_set_new(f, "uptimeSec", json_integer(si.uptime));
		json_object_set_new(f, "memTotalBytes",
		                    json_integer((json_int_t)si.totalram * si.mem_unit));
		json_object_set_new(f, "memFreeBytes",
		                    json_integer((json_int_t)si.freeram * si.mem_unit));
		json_object_set_new(f, "load",
		                    json_pack("[f,f,f]", si.loads[0] / 65536.0,
		                              si.loads[1] / 65536.0, si.loads[2] / 65536.0));
	}
	double busy = cpu_busy();
	if (busy >= 0)
		json_object_set_new(f, "cpuBusy", json_real(busy));
	json_int_t avail = meminfo_kib("MemAvailable:");
	if (avail >= 0)
		json_object_set_new(f, "memAvailableBytes", json_integer(avail * 1024));
	json_object_set_new(f, "disk", disks());
	return f;
}
