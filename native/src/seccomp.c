/* silo-runtime: seccomp filters through libseccomp.  */
#include "silo_seccomp.h"

#include <ctype.h>
#include <string.h>

const char *const silo_seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",   "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL,
};

const char *const silo_seccomp_architectures[] = {
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390X",
  "SCMP_ARCH_X32",     "SCMP_ARCH_X86",  "SCMP_ARCH_X86_64",  NULL,
};

const char *const silo_seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

/* "SCMP_ARCH_X86_64" -> libseccomp's token "x86_64".  */
static uint32_t
resolve_arch (const char *name)
{
  char lower[64];
  size_t i;

  if (strncmp (name, "SCMP_ARCH_", 10) == 0)
    name += 10;
  for (i = 0; name[i] && i < sizeof (lower) - 1; i++)
    lower[i] = (char) tolower ((unsigned char) name[i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

static uint32_t
with_errno (uint32_t action, bool has_errno, uint32_t errno_ret)
{
  if (action == SCMP_ACT_ERRNO (0))
    return SCMP_ACT_ERRNO (has_errno ? errno_ret : EPERM);
  return action;
}

int
silo_seccomp_build (const struct silo_spec_seccomp *spec, scmp_filter_ctx *out, silo_error_t *err)
{
  cleanup_seccomp scmp_filter_ctx ctx = NULL;
  uint32_t default_action = with_errno (spec->default_action, spec->has_default_errno, spec->default_errno_ret);
  size_t i, j;
  int ret;

  ctx = seccomp_init (default_action);
  if (ctx == NULL)
    return silo_error_make (err, EINVAL, "seccomp: cannot create a filter with this default action");
  /* We set no_new_privs ourselves, when the spec asks for it.  */
  if ((ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
    return silo_error_make (err, -ret, "seccomp: cannot clear the no_new_privs attribute");
  if (spec->flag_log && (ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_LOG, 1)) < 0)
    return silo_error_make (err, -ret, "seccomp: SECCOMP_FILTER_FLAG_LOG");
  if (spec->flag_spec_allow && (ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_SSB, 1)) < 0)
    return silo_error_make (err, -ret, "seccomp: SECCOMP_FILTER_FLAG_SPEC_ALLOW");

  for (i = 0; i < spec->architectures_len; i++)
    {
      uint32_t arch = resolve_arch (spec->architectures[i]);
      if (arch == 0)
        return silo_error_make (err, EINVAL, "seccomp: unknown architecture `%s`", spec->architectures[i]);
      ret = seccomp_arch_add (ctx, arch);
      if (ret < 0 && ret != -EEXIST)
        return silo_error_make (err, -ret, "seccomp: cannot add architecture `%s`", spec->architectures[i]);
    }

  for (i = 0; i < spec->rules_len; i++)
    {
      const struct silo_spec_seccomp_rule *rule = &spec->rules[i];
      uint32_t action = with_errno (rule->action, rule->has_errno, rule->errno_ret);
      struct scmp_arg_cmp cmps[6];
      size_t ncmps = rule->args_len;

      if (action == default_action)
        continue;
      if (ncmps > ARRAY_SIZE (cmps))
        return silo_error_make (err, EINVAL, "seccomp: more than 6 argument conditions in one rule");
      for (j = 0; j < ncmps; j++)
        {
          cmps[j].arg = rule->args[j].index;
          cmps[j].op = (enum scmp_compare) rule->args[j].op;
          if (cmps[j].op == SCMP_CMP_MASKED_EQ)
            {
              cmps[j].datum_a = rule->args[j].value;
              cmps[j].datum_b = rule->args[j].value_two;
            }
          else
            {
              cmps[j].datum_a = rule->args[j].value;
              cmps[j].datum_b = 0;
            }
        }
      for (j = 0; j < rule->names_len; j++)
        {
          int nr = seccomp_syscall_resolve_name (rule->names[j]);
          if (nr == __NR_SCMP_ERROR)
            continue; /* unknown to this libseccomp/kernel: skipped, like runc */
          ret = seccomp_rule_add_array (ctx, action, nr, (unsigned int) ncmps, cmps);
          if (ret == -EINVAL && ncmps > 1)
            {
              /* Several conditions on one argument: libseccomp wants them as separate rules
                 (the runc behaviour: each condition is ORed).  */
              size_t k;
              for (k = 0; k < ncmps; k++)
                {
                  ret = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[k]);
                  if (ret < 0)
                    break;
                }
            }
          if (ret < 0)
            return silo_error_make (err, -ret, "seccomp: cannot add the rule for `%s`", rule->names[j]);
        }
    }
  *out = steal_pointer (&ctx);
  return 0;
}

int
silo_seccomp_load (scmp_filter_ctx ctx, silo_error_t *err)
{
  int ret = seccomp_load (ctx);
  if (ret < 0)
    return silo_error_make (err, -ret, "seccomp: cannot load the filter");
  return 0;
}
