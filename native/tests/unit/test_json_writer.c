/* Unit tests: the JSON writer (src/json_writer.c), into a memory stream.  */
#include "harness.h"
#include "json_writer.h"
#include "utils.h"

#include <stdio.h>

struct capture
{
  FILE *stream;
  char *text;
  size_t size;
};

static void
capture_open (struct capture *c)
{
  c->text = NULL;
  c->size = 0;
  c->stream = open_memstream (&c->text, &c->size);
}

static const char *
capture_close (struct capture *c)
{
  fclose (c->stream);
  return c->text;
}

static void
test_nested_document_layout (void)
{
  struct capture c;
  struct silo_json_writer w;

  capture_open (&c);
  CHECK (c.stream != NULL);
  silo_json_writer_init (&w, c.stream);
  silo_json_begin_object (&w, NULL);
  silo_json_string (&w, "a", "x");
  silo_json_begin_array (&w, "empty");
  silo_json_end_array (&w);
  silo_json_begin_array (&w, "list");
  silo_json_string (&w, NULL, "one");
  silo_json_string (&w, NULL, "two");
  silo_json_end_array (&w);
  silo_json_begin_object (&w, "o");
  silo_json_bool (&w, "t", true);
  silo_json_bool (&w, "f", false);
  silo_json_end_object (&w);
  silo_json_end_object (&w);
  silo_json_writer_finish (&w);

  CHECK_STR_EQ (capture_close (&c), "{\n"
                                    "    \"a\": \"x\",\n"
                                    "    \"empty\": [],\n"
                                    "    \"list\": [\n"
                                    "        \"one\",\n"
                                    "        \"two\"\n"
                                    "    ],\n"
                                    "    \"o\": {\n"
                                    "        \"t\": true,\n"
                                    "        \"f\": false\n"
                                    "    }\n"
                                    "}\n");
  free (c.text);
}

static void
test_strings_are_escaped (void)
{
  struct capture c;

  capture_open (&c);
  silo_json_write_quoted (c.stream, "a\"b\\c\nd\te\x01 \xc3\xa9");
  CHECK_STR_EQ (capture_close (&c), "\"a\\\"b\\\\c\\nd\\te\\u0001 \xc3\xa9\"");
  free (c.text);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_nested_document_layout),
    HARNESS_TEST (test_strings_are_escaped),
  };
  return harness_main ("json_writer", tests, ARRAY_SIZE (tests));
}
