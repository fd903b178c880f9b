/* silo-runtime: a small streaming JSON writer.  */
#include "json_writer.h"

#include <stdlib.h>

void
silo_json_write_quoted (FILE *out, const char *s)
{
  const unsigned char *p;

  fputc ('"', out);
  for (p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"':
          fputs ("\\\"", out);
          break;
        case '\\':
          fputs ("\\\\", out);
          break;
        case '\n':
          fputs ("\\n", out);
          break;
        case '\r':
          fputs ("\\r", out);
          break;
        case '\t':
          fputs ("\\t", out);
          break;
        default:
          if (*p < 0x20)
            fprintf (out, "\\u%04x", *p);
          else
            fputc (*p, out);
        }
    }
  fputc ('"', out);
}

void
silo_json_writer_init (struct silo_json_writer *w, FILE *out)
{
  int i;

  w->out = out;
  w->depth = 0;
  for (i = 0; i <= SILO_JSON_MAX_DEPTH; i++)
    w->has_items[i] = false;
}

void
silo_json_writer_finish (struct silo_json_writer *w)
{
  if (w->depth != 0)
    abort ();
  fputc ('\n', w->out);
}

static void
indent (struct silo_json_writer *w, int depth)
{
  int i;

  fputc ('\n', w->out);
  for (i = 0; i < depth; i++)
    fputs ("    ", w->out);
}

/* Separator, indentation and key before a value at the current depth.  */
static void
value_prefix (struct silo_json_writer *w, const char *key)
{
  if (w->has_items[w->depth])
    fputc (',', w->out);
  if (w->depth > 0)
    indent (w, w->depth);
  w->has_items[w->depth] = true;
  if (key)
    {
      silo_json_write_quoted (w->out, key);
      fputs (": ", w->out);
    }
}

static void
begin (struct silo_json_writer *w, const char *key, char open)
{
  if (w->depth >= SILO_JSON_MAX_DEPTH)
    abort ();
  value_prefix (w, key);
  fputc (open, w->out);
  w->depth++;
  w->has_items[w->depth] = false;
}

static void
end (struct silo_json_writer *w, char close)
{
  if (w->depth <= 0)
    abort ();
  w->depth--;
  if (w->has_items[w->depth + 1])
    indent (w, w->depth);
  fputc (close, w->out);
}

void
silo_json_begin_object (struct silo_json_writer *w, const char *key)
{
  begin (w, key, '{');
}

void
silo_json_end_object (struct silo_json_writer *w)
{
  end (w, '}');
}

void
silo_json_begin_array (struct silo_json_writer *w, const char *key)
{
  begin (w, key, '[');
}

void
silo_json_end_array (struct silo_json_writer *w)
{
  end (w, ']');
}

void
silo_json_string (struct silo_json_writer *w, const char *key, const char *value)
{
  value_prefix (w, key);
  silo_json_write_quoted (w->out, value);
}

void
silo_json_bool (struct silo_json_writer *w, const char *key, bool value)
{
  value_prefix (w, key);
  fputs (value ? "true" : "false", w->out);
}

void
silo_json_int (struct silo_json_writer *w, const char *key, long long value)
{
  value_prefix (w, key);
  fprintf (w->out, "%lld", value);
}

void
silo_json_uint (struct silo_json_writer *w, const char *key, unsigned long long value)
{
  value_prefix (w, key);
  fprintf (w->out, "%llu", value);
}
