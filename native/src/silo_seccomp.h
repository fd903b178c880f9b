/* silo-runtime: a seccomp filter from config.json's `linux.seccomp`, compiled by libseccomp.  */
#ifndef SILO_SECCOMP_H
#define SILO_SECCOMP_H

#include <seccomp.h>

#include "spec.h"
#include "utils.h"

/* Build (but do not load) the filter SPEC describes.  Syscall names this libseccomp does not
   know are skipped, as runc does; a rule whose action equals the default action is redundant
   and skipped too.  */
int silo_seccomp_build (const struct silo_spec_seccomp *spec, scmp_filter_ctx *out, silo_error_t *err);

/* Load CTX into the calling thread (no_new_privs is not set by this: the caller decides).  */
int silo_seccomp_load (scmp_filter_ctx ctx, silo_error_t *err);

/* The actions and architectures `features` lists.  */
extern const char *const silo_seccomp_actions[];
extern const char *const silo_seccomp_architectures[];
extern const char *const silo_seccomp_operators[];

static inline void
cleanup_seccompp (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
  *ctx = NULL;
}
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_seccompp)))

#endif
