/* The process runner pagodad and the agent share: argv only, never a shell;
 * outputs captured (their tails kept); a timeout kills the whole process group. */
#include "common/pg_proc.h"
#include "common/pg_time.h"

#include <errno.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct sink {
	char *buf;
	size_t len, keep;
};

/* Appends, keeping only the last s->keep bytes. */
static void sink_add(struct sink *s, const char *data, size_t n)
{
	if (!s->buf && !(s->buf = malloc(s->keep + 1)))
		return;
	if (n > s->keep) {
		data += n - s->keep;
		n = s->keep;
	}
	if (s->len + n > s->keep) {
		size_t drop = s->len + n - s->keep;
		memmove(s->buf, s->buf + drop, s->len - drop);
		s->len -= drop;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

int pg_run(char *const argv[], const char *cwd, int64_t timeout_ms, size_t keep, char **out,
           char **errout, char *why, size_t whylen)
{
	int po[2], pe[2];
	*out = *errout = NULL;
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		/* dies with its parent: a command must not outlive an agent killed
		 * in the middle of it (the task is retried, not left running twice) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125); /* the parent died before prctl */
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (cwd && chdir(cwd) != 0) {
			dprintf(2, "cannot chdir to %s: %s\n", cwd, strerror(errno));
			_exit(126);
		}
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct sink so = {.keep = keep}, se = {.keep = keep};
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	int open_fds = 2;
	int64_t deadline = pg_time_mono_ms() + timeout_ms;
	bool timed_out = false;
	char buf[8192];
	while (open_fds > 0) {
		int64_t left = deadline - pg_time_mono_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(fds, 2, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n > 0) {
				sink_add(i == 0 ? &so : &se, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	if (timed_out)
		kill(-pid, SIGKILL);
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int status = 0;
	/* Output closed does not mean exited; the deadline still holds. */
	while (!timed_out && waitpid(pid, &status, WNOHANG) == 0) {
		if (pg_time_mono_ms() >= deadline) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		usleep(10000);
	}
	if (timed_out)
		waitpid(pid, &status, 0);
	*out = so.buf;
	*errout = se.buf;
	if (timed_out) {
		snprintf(why, whylen, "timed out after %lld ms; killed", (long long)timeout_ms);
		return -1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
