/* silo-runtime: a small streaming JSON writer, indented by four spaces like
 * `runc features` / `runc state`.  Output only; parsing will be vendored when
 * config.json has to be read.
 *
 *     struct silo_json_writer w;
 *     silo_json_writer_init (&w, stdout);
 *     silo_json_begin_object (&w, NULL);
 *     silo_json_string (&w, "ociVersion", "1.2.0");
 *     silo_json_begin_array (&w, "hooks");
 *     silo_json_end_array (&w);
 *     silo_json_end_object (&w);
 *     silo_json_writer_finish (&w);        (final newline)
 *
 * KEY is the member name inside an object and must be NULL inside an array or
 * at the top level.  Misuse (too deep, unbalanced end) is a programming
 * error and aborts.  */
#ifndef SILO_JSON_WRITER_H
#define SILO_JSON_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#define SILO_JSON_MAX_DEPTH 16

struct silo_json_writer
{
  FILE *out;
  int depth;
  bool has_items[SILO_JSON_MAX_DEPTH + 1];
};

void silo_json_writer_init (struct silo_json_writer *w, FILE *out);
void silo_json_writer_finish (struct silo_json_writer *w);

void silo_json_begin_object (struct silo_json_writer *w, const char *key);
void silo_json_end_object (struct silo_json_writer *w);
void silo_json_begin_array (struct silo_json_writer *w, const char *key);
void silo_json_end_array (struct silo_json_writer *w);

void silo_json_string (struct silo_json_writer *w, const char *key, const char *value);
void silo_json_bool (struct silo_json_writer *w, const char *key, bool value);
void silo_json_int (struct silo_json_writer *w, const char *key, long long value);
void silo_json_uint (struct silo_json_writer *w, const char *key, unsigned long long value);

/* Write S as a quoted JSON string (escaping quotes, backslashes and control
   characters; other bytes are copied as they are).  */
void silo_json_write_quoted (FILE *out, const char *s);

#endif
