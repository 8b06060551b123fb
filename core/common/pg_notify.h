/* pg_notify: systemd's notify protocol (sd_notify(3)) without libsystemd:
 * one datagram to $NOTIFY_SOCKET. Does nothing outside a Type=notify unit. */
#ifndef PG_NOTIFY_H
#define PG_NOTIFY_H

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..."). */
void pg_notify(const char *state);

#endif
