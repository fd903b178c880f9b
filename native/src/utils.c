/* silo-runtime: error reporting and small helpers.  */
#include "utils.h"

#include <stdio.h>
#include <string.h>

static void __attribute__ ((noreturn))
out_of_memory (void)
{
  static const char msg[] = "silo-runtime: out of memory\n";
  ssize_t unused __attribute__ ((unused)) = write (STDERR_FILENO, msg, sizeof (msg) - 1);
  abort ();
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    out_of_memory ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p = strdup (s ? s : "");
  if (p == NULL)
    out_of_memory ();
  return p;
}

static int
xvasprintf (char **out, const char *fmt, va_list ap)
{
  int ret = vasprintf (out, fmt, ap);
  if (ret < 0)
    out_of_memory ();
  return ret;
}

int
xasprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = xvasprintf (out, fmt, ap);
  va_end (ap);
  return ret;
}

int
silo_error_make (silo_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;

  *err = xmalloc0 (sizeof (struct silo_error_s));
  (*err)->status = status;
  va_start (ap, fmt);
  xvasprintf (&(*err)->msg, fmt, ap);
  va_end (ap);
  return -status - 1;
}

int
silo_error_wrap (silo_error_t *err, const char *fmt, ...)
{
  cleanup_free char *prefix = NULL;
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  xvasprintf (&prefix, fmt, ap);
  va_end (ap);

  xasprintf (&msg, "%s: %s", prefix, (*err)->msg);
  free ((*err)->msg);
  (*err)->msg = msg;
  return -(*err)->status - 1;
}

void
silo_error_release (silo_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

char *
silo_error_format (const struct silo_error_s *err)
{
  char *out = NULL;

  if (err->status == 0)
    return xstrdup (err->msg);
  xasprintf (&out, "%s: %s", err->msg, strerror (err->status));
  return out;
}
