/* What this node can do (capabilities) and what it looks like (facts). */
#include "agent.h"
#include "common/pg_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

json_t *agent_caps(void)
{
	json_t *c = json_object();
	char *const nginx_v[] = {"nginx", "-v", NULL};
	char *const systemctl_v[] = {"systemctl", "--version", NULL};
	char *nginx = first_line(nginx_v), *systemd = first_line(systemctl_v);
	json_object_set_new(c, "nginx", json_boolean(nginx != NULL));
	json_object_set_new(c, "nginxVersion", version_after(nginx, "nginx/"));
	/* systemctl may be installed where systemd is not PID 1 (containers). */
	json_object_set_new(c, "systemd", json_boolean(systemd && access("/run/systemd/system", F_OK) == 0));
	json_object_set_new(c, "systemdVersion", version_after(systemd, "systemd "));
	json_object_set_new(c, "os", json_string("linux"));
	json_object_set_new(c, "agentVersion", json_string(AGENT_VERSION));
	json_object_set_new(c, "taskTypes",
			    json_pack("[s,s,s,s,s,s,s]", "ApplyConfigFiles", "RunCommand", "SystemdInstallUnit",
				      "SystemdControl", "RenderAndDeployNginx", "DeployCertificate", "HealthProbe"));
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
		json_object_set_new(f, "memTotalBytes", json_integer((json_int_t)si.totalram * si.mem_unit));
		json_object_set_new(f, "memFreeBytes", json_integer((json_int_t)si.freeram * si.mem_unit));
		json_object_set_new(f, "load", json_pack("[f,f,f]", si.loads[0] / 65536.0,
							  si.loads[1] / 65536.0, si.loads[2] / 65536.0));
	}
	struct statvfs vs;
	if (statvfs("/", &vs) == 0)
		json_object_set_new(f, "disk", json_pack("{s:{s:I, s:I}}", "/", "totalBytes",
							 (json_int_t)vs.f_blocks * vs.f_frsize, "freeBytes",
							 (json_int_t)vs.f_bavail * vs.f_frsize));
	return f;
}
