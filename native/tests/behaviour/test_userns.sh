#!/usr/bin/env bash
# Behaviour: containers in a user namespace (uid/gid maps, cgroup, mounts) and idmapped mounts
# (idmap-mount) under overlayfs, as the agent's hardened mode uses them.
. "$(dirname "$0")/lib.sh"

USERNS_EDIT='c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]'

test_user_namespace_maps_and_mounts() {
  require_root
  [[ -e /proc/self/ns/user ]] || skip "no user namespaces"
  chmod 755 "$TEST_TMP"
  local b=$TEST_TMP/userns id pid
  id=$(new_id)
  make_bundle "$b" "$USERNS_EDIT
c['process']['args'] = ['sleep', '60']"
  rt run -d --bundle "$b" "$id"
  assert_status 0
  pid=$(rt state "$id"; printf '%s\n' "$stdout" >"$TEST_TMP/st.json"; json_get "$TEST_TMP/st.json" pid)
  # On the host, the container's root is uid 200000.
  assert_eq "$(awk '/^Uid:/ { print $2 }' /proc/"$pid"/status)" "200000"
  assert_eq "$(awk '/^Gid:/ { print $2 }' /proc/"$pid"/status)" "200000"
  [[ $(readlink /proc/"$pid"/ns/user) != $(readlink /proc/self/ns/user) ]] || fail "not in a new user namespace"
  # Its cgroup is the container's.
  grep -q "memory:/$id" /proc/"$pid"/cgroup || fail "not in its memory cgroup: $(cat /proc/"$pid"/cgroup)"
  rt delete -f "$id"
  assert_status 0
  [[ -z $(leftover_cgroups "$id") ]] || fail "cgroups left behind"
}

test_user_namespace_container_output() {
  require_root
  chmod 755 "$TEST_TMP"
  local b=$TEST_TMP/userns2
  make_bundle "$b" "$USERNS_EDIT
c['process']['args'] = ['sh', '-c', 'cat /proc/self/uid_map; id -u; echo x >/dev/null && echo devnull; grep -c \" /sys sysfs ro\" /proc/mounts; mount -t tmpfs t /tmp 2>/dev/null || echo nomount']"
  rt run --bundle "$b" "$(new_id)"
  assert_status 0
  [[ $stdout =~ ^[[:space:]]*0[[:space:]]+200000[[:space:]]+65536 ]] || fail "uid_map: $stdout"
  assert_contains "$stdout" $'\n0\ndevnull\n1\nnomount'
}

test_mappings_without_user_namespace_are_refused() {
  require_root
  local b=$TEST_TMP/badmaps
  make_bundle "$b" 'c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 1}]'
  rt run --bundle "$b" "$(new_id)"
  assert_status 1
  assert_contains "$stderr" "without a user namespace"
}

test_idmap_mount_shows_files_with_mapped_owners() {
  require_root
  local lower=$TEST_TMP/lower mnt=$TEST_TMP/idmapped
  mkdir -p "$lower" "$mnt"
  touch "$lower/root-file" "$lower/user-file"
  chown 1000:1000 "$lower/user-file"
  rt idmap-mount --uid-map 0:200000:65536 --gid-map 0:200000:65536 "$lower" "$mnt"
  assert_status 0
  assert_eq "$(stat -c '%u:%g' "$mnt/root-file")" "200000:200000"
  assert_eq "$(stat -c '%u:%g' "$mnt/user-file")" "201000:201000"
  # The source is unchanged.
  assert_eq "$(stat -c '%u:%g' "$lower/root-file")" "0:0"
  umount "$mnt"
}

test_idmap_mount_bad_input() {
  require_root
  rt idmap-mount --uid-map 0:1 --gid-map 0:1:1 /tmp /tmp
  assert_status 1
  assert_contains "$stderr" "bad map"
  rt idmap-mount --uid-map 0:1:1 /tmp /tmp
  assert_status 1
  assert_contains "$stderr" "at least one --uid-map and one --gid-map"
  rt idmap-mount --uid-map 0:1:1 --gid-map 0:1:1 "$TEST_TMP/nope" "$TEST_TMP"
  assert_status 1
  assert_contains "$stderr" "open_tree"
}

test_overlay_over_idmapped_lowers_as_a_user_namespace_rootfs() {
  require_root
  grep -qw overlay /proc/filesystems || skip "no overlayfs in this kernel"
  chmod 755 "$TEST_TMP"
  local b=$TEST_TMP/hardened id
  id=$(new_id)
  make_bundle "$b" "$USERNS_EDIT
c['root']['path'] = '$TEST_TMP/merged'
c['root']['readonly'] = False
c['process']['args'] = ['sh', '-c', 'stat -c %u:%g /bin/busybox /etc; touch /newfile && stat -c %u /newfile']"
  # The image layer: the busybox rootfs, owned by host root as unpacked.
  mkdir -p "$TEST_TMP/lower-idmapped" "$TEST_TMP/upper" "$TEST_TMP/work" "$TEST_TMP/merged"
  rt idmap-mount --read-only --uid-map 0:200000:65536 --gid-map 0:200000:65536 "$b/rootfs" "$TEST_TMP/lower-idmapped"
  assert_status 0
  chown 200000:200000 "$TEST_TMP/upper" "$TEST_TMP/work"
  mount -t overlay overlay -o "lowerdir=$TEST_TMP/lower-idmapped,upperdir=$TEST_TMP/upper,workdir=$TEST_TMP/work" \
    "$TEST_TMP/merged" || fail "overlayfs refused the idmapped lower layer"
  rt run --bundle "$b" "$id"
  local st=$status out=$stdout err=$stderr
  umount "$TEST_TMP/merged"
  umount "$TEST_TMP/lower-idmapped"
  status=$st stderr=$err
  assert_status 0
  # Inside the user namespace the image files belong to root, as in the image.
  assert_eq "$out" $'0:0\n0:0\n0'
  # The write went to the upper dir, owned by the container's root on the host.
  assert_eq "$(stat -c %u "$TEST_TMP/upper/newfile")" "200000"
}

run_tests
