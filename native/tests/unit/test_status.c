/* Unit tests: the state directory (src/status.c): ids, round trip, list, status.  */
#include "harness.h"
#include "status.h"
#include "utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
temp_root (void)
{
  char tmpl[] = "/tmp/silo-status-test.XXXXXX";
  char *dir = mkdtemp (tmpl);
  char *root = NULL;
  if (dir == NULL)
    abort ();
  xasprintf (&root, "%s/root", dir);
  return root;
}

/* Remove what temp_root made (ROOT and its parent), once the test emptied it.  */
static void
remove_root (const char *root)
{
  char parent[256];
  size_t len = strlen (root);

  rmdir (root);
  if (len >= sizeof (parent) || len < 5)
    return;
  memcpy (parent, root, len - 5); /* strip "/root" */
  parent[len - 5] = '\0';
  rmdir (parent);
}

static void
test_ids_are_validated (void)
{
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_status_validate_id ("abc-1_2.3", &err), 0);
  CHECK (silo_status_validate_id ("", &err) < 0);
  silo_error_release (&err);
  CHECK (silo_status_validate_id ("a/b", &err) < 0);
  CHECK (strstr (err->msg, "file name") != NULL);
  silo_error_release (&err);
  CHECK (silo_status_validate_id ("..", &err) < 0);
  silo_error_release (&err);
  CHECK (silo_status_validate_id ("a\nb", &err) < 0);
  silo_error_release (&err);
}

static void
test_state_round_trip (void)
{
  cleanup_free char *root = temp_root ();
  char *keys[] = { (char *) "k\"ey", NULL };
  char *values[] = { (char *) "va\\lue\n", NULL };
  struct silo_container_state in = {
    .id = (char *) "c1",
    .pid = getpid (),
    .start_time = silo_process_start_time (getpid ()),
    .bundle = (char *) "/b",
    .rootfs = (char *) "/b/rootfs",
    .created = (char *) "2026-01-02T03:04:05.000000001Z",
    .cgroup_path = (char *) "/silo/c1",
    .oci_version = (char *) "1.0.2",
    .annotation_keys = keys,
    .annotation_values = values,
    .annotations_len = 1,
  };
  struct silo_container_state out;
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_status_create_dir (root, "c1", &err), 0);
  CHECK (silo_status_create_dir (root, "c1", &err) < 0);
  CHECK_INT_EQ (err->status, EEXIST);
  CHECK (strstr (err->msg, "already exists") != NULL);
  silo_error_release (&err);
  CHECK_INT_EQ (silo_status_write (root, &in, &err), 0);
  CHECK_INT_EQ (silo_status_read (root, "c1", &out, &err), 0);
  CHECK_STR_EQ (out.id, "c1");
  CHECK_INT_EQ (out.pid, getpid ());
  CHECK (out.start_time == in.start_time && in.start_time != 0);
  CHECK_STR_EQ (out.bundle, "/b");
  CHECK_STR_EQ (out.rootfs, "/b/rootfs");
  CHECK_STR_EQ (out.created, in.created);
  CHECK_STR_EQ (out.cgroup_path, "/silo/c1");
  CHECK_STR_EQ (out.oci_version, "1.0.2");
  CHECK_INT_EQ (out.annotations_len, 1);
  CHECK_STR_EQ (out.annotation_keys[0], "k\"ey");
  CHECK_STR_EQ (out.annotation_values[0], "va\\lue\n");
  /* Our own process, no exec.fifo: running.  */
  CHECK_INT_EQ (silo_status_get (root, &out), SILO_STATUS_RUNNING);
  silo_status_clear (&out);

  CHECK_INT_EQ (silo_status_delete (root, "c1", &err), 0);
  CHECK (silo_status_read (root, "c1", &out, &err) < 0);
  CHECK_INT_EQ (err->status, ENOENT);
  CHECK (strstr (err->msg, "container `c1` does not exist") != NULL);
  silo_error_release (&err);
  CHECK_INT_EQ (silo_status_delete (root, "c1", &err), 0);
  remove_root (root);
}

static void
test_status_from_process_and_fifo (void)
{
  cleanup_free char *root = temp_root ();
  cleanup_free char *fifo = NULL;
  struct silo_container_state st = { .id = (char *) "c2", .pid = getpid (), .start_time = silo_process_start_time (getpid ()) };
  silo_error_t err = NULL;

  CHECK_INT_EQ (silo_status_create_dir (root, "c2", &err), 0);
  xasprintf (&fifo, "%s/c2/exec.fifo", root);
  CHECK_INT_EQ (mkfifo (fifo, 0600), 0);
  CHECK_INT_EQ (silo_status_get (root, &st), SILO_STATUS_CREATED);
  unlink (fifo);
  CHECK_INT_EQ (silo_status_get (root, &st), SILO_STATUS_RUNNING);
  /* Another start time: the pid was reused, the container is gone.  */
  st.start_time += 1;
  CHECK_INT_EQ (silo_status_get (root, &st), SILO_STATUS_STOPPED);
  st.pid = 0;
  CHECK_INT_EQ (silo_status_get (root, &st), SILO_STATUS_CREATING);
  CHECK_STR_EQ (silo_status_name (SILO_STATUS_STOPPED), "stopped");
  CHECK_INT_EQ (silo_status_delete (root, "c2", &err), 0);
  remove_root (root);
}

static void
test_list_is_sorted (void)
{
  cleanup_free char *root = temp_root ();
  silo_error_t err = NULL;
  char **ids = NULL;

  CHECK_INT_EQ (silo_status_list (root, &ids, &err), 0);
  CHECK (ids[0] == NULL);
  free (ids);
  CHECK_INT_EQ (silo_status_create_dir (root, "b", &err), 0);
  CHECK_INT_EQ (silo_status_create_dir (root, "a", &err), 0);
  CHECK_INT_EQ (silo_status_list (root, &ids, &err), 0);
  CHECK_STR_EQ (ids[0], "a");
  CHECK_STR_EQ (ids[1], "b");
  CHECK (ids[2] == NULL);
  free (ids[0]);
  free (ids[1]);
  free (ids);
  silo_status_delete (root, "a", &err);
  silo_status_delete (root, "b", &err);
  remove_root (root);
}

int
main (void)
{
  static const struct harness_test tests[] = {
    HARNESS_TEST (test_ids_are_validated),
    HARNESS_TEST (test_state_round_trip),
    HARNESS_TEST (test_status_from_process_and_fifo),
    HARNESS_TEST (test_list_is_sorted),
  };
  return harness_main ("status", tests, ARRAY_SIZE (tests));
}
