/* A tiny unit-test harness (see harness.h).  */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int current_failed;

void
harness_fail (const char *file, int line, const char *fmt, ...)
{
  va_list ap;

  current_failed = 1;
  printf ("#   %s:%d: ", file, line);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
}

int
harness_main (const char *suite, const struct harness_test *tests, size_t count)
{
  size_t i;
  int failures = 0;

  printf ("1..%zu\n", count);
  for (i = 0; i < count; i++)
    {
      int status = 0;
      pid_t pid;

      fflush (stdout);
      pid = fork ();
      if (pid < 0)
        {
          perror ("fork");
          return 1;
        }
      if (pid == 0)
        {
          current_failed = 0;
          tests[i].fn ();
          fflush (stdout);
          _exit (current_failed ? 1 : 0);
        }
      while (waitpid (pid, &status, 0) < 0)
        ;

      if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        printf ("ok %zu - %s: %s\n", i + 1, suite, tests[i].name);
      else
        {
          failures++;
          if (WIFSIGNALED (status))
            printf ("not ok %zu - %s: %s (killed by signal %d, %s)\n", i + 1, suite, tests[i].name,
                    WTERMSIG (status), strsignal (WTERMSIG (status)));
          else
            printf ("not ok %zu - %s: %s\n", i + 1, suite, tests[i].name);
        }
    }
  fflush (stdout);
  return failures ? 1 : 0;
}
