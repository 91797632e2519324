/* SPDX-License-Identifier: Apache-2.0 */
/* Container identity from /proc/PID/cgroup: containerd, CRI-O and Docker layouts, v1 and v2 files. */
#include "unit.h"

#include "../../measurer/evidenced/cgroup.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "4b1c5d2e-9f3a-4c8b-a6d7-1e2f3a4b5c6d"
#define POD_ "4b1c5d2e_9f3a_4c8b_a6d7_1e2f3a4b5c6d"

static void expect(const char *path, const char *runtime, const char *id, const char *pod) {
        struct container_identity c;

        cgroup_container(path, &c);
        if (!runtime) {
                assert_null(c.runtime);
                return;
        }
        assert_non_null(c.runtime);
        assert_string_equal(c.runtime, runtime);
        assert_string_equal(c.id, id);
        assert_string_equal(c.pod, pod);
}

static void test_containerd_systemd(void **state) {
        (void) state;
        expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_ ".slice/cri-containerd-" ID ".scope",
               "containerd", ID, POD);
}

static void test_containerd_cgroupfs(void **state) {
        (void) state;
        expect("/kubepods/besteffort/pod" POD "/" ID, "containerd", ID, POD);
}

static void test_crio(void **state) {
        (void) state;
        expect("/kubepods.slice/kubepods-pod" POD_ ".slice/crio-" ID ".scope", "cri-o", ID, POD);
        expect("/kubepods/burstable/pod" POD "/crio-" ID, "cri-o", ID, POD);
        /* conmon's scope is the runtime's monitor, not the container. */
        expect("/kubepods.slice/kubepods-pod" POD_ ".slice/crio-conmon-" ID ".scope", NULL, NULL, NULL);
}

static void test_docker(void **state) {
        (void) state;
        expect("/system.slice/docker-" ID ".scope", "docker", ID, "");
        expect("/docker/" ID, "docker", ID, "");
}

static void test_not_a_container(void **state) {
        (void) state;
        expect("/", NULL, NULL, NULL);
        expect("/user.slice/user-1000.slice/session-2.scope", NULL, NULL, NULL);
        expect("/system.slice/cvm-evidenced.service", NULL, NULL, NULL);
        /* 64 hex digits outside kubepods or docker are not claimed. */
        expect("/somewhere/" ID, NULL, NULL, NULL);
        /* One digit short, one upper-case: not an ID. */
        expect("/docker/" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", NULL, NULL, NULL);
        expect("/system.slice/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope", NULL, NULL, NULL);
}

static void test_proc_file(void **state) {
        static const char v2[] = "0::/kubepods/besteffort/pod" POD "/" ID "\n";
        static const char v1[] = "12:memory:/docker/" ID "\n11:cpu,cpuacct:/docker/" ID "\n1:name=systemd:/docker/" ID "\n";
        static const char hybrid[] = "1:name=systemd:/init.scope\n0::/system.slice/docker-" ID ".scope\n";
        char path[CGROUP_PATH_MAX];

        (void) state;
        assert_int_equal(cgroup_path_parse(v2, strlen(v2), path), 0);
        assert_string_equal(path, "/kubepods/besteffort/pod" POD "/" ID);
        assert_int_equal(cgroup_path_parse(v1, strlen(v1), path), 0);
        assert_string_equal(path, "/docker/" ID);
        assert_int_equal(cgroup_path_parse(hybrid, strlen(hybrid), path), 0);
        assert_string_equal(path, "/system.slice/docker-" ID ".scope");
}

static void test_proc_file_bad(void **state) {
        char path[CGROUP_PATH_MAX], *big;
        size_t n = CGROUP_PATH_MAX + 10;

        (void) state;
        assert_int_equal(cgroup_path_parse("", 0, path), -EINVAL);
        assert_int_equal(cgroup_path_parse("garbage\n", 8, path), -EINVAL);
        assert_int_equal(cgroup_path_parse("0::relative\n", 12, path), -EINVAL);
        assert_int_equal(cgroup_path_parse("0::/a\0b\n", 8, path), -EINVAL);
        big = malloc(n);
        assert_non_null(big);
        memcpy(big, "0::/", 4);
        memset(big + 4, 'a', n - 4);
        assert_int_equal(cgroup_path_parse(big, n, path), -ENAMETOOLONG);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_containerd_systemd), cmocka_unit_test(test_containerd_cgroupfs),
                cmocka_unit_test(test_crio), cmocka_unit_test(test_docker), cmocka_unit_test(test_not_a_container),
                cmocka_unit_test(test_proc_file), cmocka_unit_test(test_proc_file_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
