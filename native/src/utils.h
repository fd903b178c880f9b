/* silo-runtime: error reporting and small helpers shared by every source file.
 *
 * Error convention (the libcrun habit): a function that can fail returns an int,
 * >= 0 on success and < 0 on failure, and takes a last argument `silo_error_t *err`.
 * On failure it fills *err with silo_error_make () and returns what that returns.
 * The caller either handles the error and calls silo_error_release (), or returns
 * it further up unchanged.
 *
 *     silo_error_t err = NULL;
 *     if (silo_cgroup_detect_mode (NULL, "/sys/fs/cgroup", &mode, &err) < 0)
 *       {
 *         fprintf (stderr, "%s\n", err->msg);
 *         silo_error_release (&err);
 *       }
 */
#ifndef SILO_UTILS_H
#define SILO_UTILS_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

struct silo_error_s
{
  int status; /* errno value that caused the error, or 0 if none.  */
  char *msg;  /* malloc'd, human readable, without a trailing newline.  */
};
typedef struct silo_error_s *silo_error_t;

/* Fill *ERR with a new error (STATUS is an errno value or 0) and return
   -STATUS - 1, which is always negative.  *ERR must be NULL on entry.  */
int silo_error_make (silo_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the message of an existing error with "PREFIX: " and return the
   same value silo_error_make () returned for it.  */
int silo_error_wrap (silo_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Free *ERR (if any) and set it to NULL.  */
void silo_error_release (silo_error_t *err);

/* Return a malloc'd "MSG" or "MSG: strerror (STATUS)" for ERR.  */
char *silo_error_format (const struct silo_error_s *err);

/* Allocation helpers: they never return NULL (they abort on exhaustion).  */
void *xmalloc0 (size_t size);
char *xstrdup (const char *s);
int xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Scope-bound cleanup with __attribute__ ((cleanup)):
 *     cleanup_free char *path = NULL;   freed when it goes out of scope
 *     cleanup_close int fd = -1;        closed when it goes out of scope
 * Both keep errno unchanged, so an error path can still read it.  */
static inline void
cleanup_freep (void *p)
{
  void **pp = (void **) p;
  int saved_errno = errno;
  free (*pp);
  *pp = NULL;
  errno = saved_errno;
}

static inline void
cleanup_closep (int *fd)
{
  int saved_errno = errno;
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
  errno = saved_errno;
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))

/* Hand ownership of a cleanup_free pointer / cleanup_close fd to the caller.  */
#define steal_pointer(pp) \
  ({ \
    __typeof__ (*(pp)) stolen_ = *(pp); \
    *(pp) = NULL; \
    stolen_; \
  })

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

#endif
