/* pg_tune: process-wide settings a long-running daemon wants. */
#ifndef PG_TUNE_H
#define PG_TUNE_H

/* Raises the descriptor limit to its hard maximum (each agent long poll
 * holds a socket) and keeps freed heap memory for reuse instead of handing
 * it back to the kernel after every large request. */
void pg_tune_process(void);

#endif
