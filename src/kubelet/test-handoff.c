#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "confnode/basic/fileio.h"
#include "confnode/kubelet/handoff.h"
#include "confnode/kubelet/join-bundle.h"
#include "test-kubelet-util.h"

#define NOW ((time_t)1800000000)

typedef struct Fixture {
        char dir[64];
        char boot[128], kube[128], ca[128], env[128];
        KubeletConfig c;
        char *ca_pem;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        snprintf(f->dir, sizeof(f->dir), "/tmp/test-handoff-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        /* Parent directories that do not exist yet, as on a fresh node. */
        snprintf(f->boot, sizeof(f->boot), "%s/etc/kubernetes/bootstrap-kubelet.conf", f->dir);
        snprintf(f->kube, sizeof(f->kube), "%s/etc/kubernetes/kubelet.conf", f->dir);
        snprintf(f->ca, sizeof(f->ca), "%s/etc/kubernetes/pki/ca.crt", f->dir);
        snprintf(f->env, sizeof(f->env), "%s/run/confnode/kubelet.env", f->dir);
        f->c = (KubeletConfig){.bootstrap_kubeconfig = f->boot,
                               .kubeconfig = f->kube,
                               .ca_file = f->ca,
                               .env_file = f->env};
        f->ca_pem = test_ca_pem();
        if (!f->ca_pem)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        const char *const sub[] = {
                "etc/kubernetes/pki", "etc/kubernetes", "etc", "run/confnode", "run", ""};
        char p[200];

        (void)unlink(f->boot);
        (void)unlink(f->ca);
        (void)unlink(f->env);
        for (size_t i = 0; i < ELEMENTSOF(sub); i++) {
                snprintf(p, sizeof(p), "%s/%s", f->dir, sub[i]);
                (void)rmdir(p);
        }
        free(f->ca_pem);
        free(f);
        return 0;
}

static Secret *bundle_secret(const char *api, const char *ca, const char *token, time_t expires) {
        char when[21];
        char *text;
        Secret *s = NULL;

        test_time(expires, when);
        text = test_bundle(api, ca, token, when);
        assert_non_null(text);
        assert_int_equal(secret_new_copy(text, strlen(text), &s), 0);
        free(text);
        return s;
}

static char *slurp(const char *path, mode_t mode) {
        uint8_t *data = NULL;
        size_t size = 0;
        struct stat st;
        char *s;

        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, mode);
        assert_int_equal(read_full_file(path, 65536, &data, &size), 0);
        s = strndup((const char *)data, size);
        free(data);
        return s;
}

static void test_handoff(void **state) {
        Fixture *f = *state;
        Secret *b = bundle_secret(TEST_SERVER, f->ca_pem, TEST_TOKEN, NOW + 3600);
        KubeletResult res;
        char *text, want[512];

        assert_int_equal(kubelet_handoff_at(&f->c, b, NOW, &res), 0);
        assert_null(res.reason);
        assert_int_equal(res.expires, NOW + 3600);
        assert_false(res.expires_soon);
        assert_int_equal(strlen(res.token_fingerprint), 8);

        text = slurp(f->ca, 0644);
        assert_string_equal(text, f->ca_pem);
        free(text);

        text = slurp(f->boot, 0600);
        assert_non_null(strstr(text, "    server: \"" TEST_SERVER "\"\n"));
        snprintf(want, sizeof(want), "    certificate-authority: \"%s\"\n", f->ca);
        assert_non_null(strstr(text, want));
        assert_non_null(strstr(text, "    token: \"" TEST_TOKEN "\"\n"));
        free(text);

        text = slurp(f->env, 0644);
        snprintf(want, sizeof(want),
                 "\nKUBELET_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=%s --kubeconfig=%s\"\n",
                 f->boot, f->kube);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof(want),
                 "\nKUBELET_BOOTSTRAP_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=%s "
                 "--kubeconfig=%s\"\n",
                 f->boot, f->kube);
        assert_non_null(strstr(text, want));
        assert_null(strstr(text, TEST_TOKEN));
        free(text);
        /* kubelet writes its own kubeconfig after the bootstrap. */
        assert_int_equal(access(f->kube, F_OK), -1);

        /* A second boot replaces all three. */
        secret_free(b);
        b = bundle_secret("https://api.example.com:6443", f->ca_pem, "zzzzzz.yyyyyyyyyyyyyyyy",
                          NOW + 200);
        assert_int_equal(kubelet_handoff_at(&f->c, b, NOW, &res), 0);
        assert_true(res.expires_soon);
        text = slurp(f->boot, 0600);
        assert_non_null(strstr(text, "    server: \"https://api.example.com:6443\"\n"));
        assert_non_null(strstr(text, "    token: \"zzzzzz.yyyyyyyyyyyyyyyy\"\n"));
        assert_null(strstr(text, TEST_TOKEN));
        free(text);
        secret_free(b);
}

/* A bundle that fails a check writes nothing. */
static void test_bad_bundle_writes_nothing(void **state) {
        Fixture *f = *state;
        Secret *b = bundle_secret("http://10.0.0.1:6443", f->ca_pem, TEST_TOKEN, NOW + 3600);
        KubeletResult res;

        assert_int_equal(kubelet_handoff_at(&f->c, b, NOW, &res), -EBADMSG);
        assert_string_equal(res.reason, "kubelet.bundle_invalid");
        assert_non_null(
                strstr(res.what, "api_server: 'http://10.0.0.1:6443' is not an https:// URL"));
        secret_free(b);

        b = bundle_secret(TEST_SERVER, f->ca_pem, TEST_TOKEN, NOW - 10);
        assert_int_equal(kubelet_handoff_at(&f->c, b, NOW, &res), -EKEYEXPIRED);
        assert_string_equal(res.reason, "kubelet.token_expired");
        assert_non_null(strstr(res.what, "expires"));
        secret_free(b);

        b = bundle_secret(TEST_SERVER, f->ca_pem, "abcdef.0123456789ABCDEF", NOW + 3600);
        assert_int_equal(kubelet_handoff_at(&f->c, b, NOW, &res), -EBADMSG);
        assert_non_null(strstr(res.what, "token:"));
        assert_null(strstr(res.what, "0123456789ABCDEF"));
        secret_free(b);

        assert_int_equal(access(f->ca, F_OK), -1);
        assert_int_equal(access(f->boot, F_OK), -1);
        assert_int_equal(access(f->env, F_OK), -1);
}

static void test_config_check(void **state) {
        Fixture *f = *state;
        Secret *b = bundle_secret(TEST_SERVER, f->ca_pem, TEST_TOKEN, NOW + 3600);
        KubeletConfig c = f->c;
        KubeletResult res;
        const char *key = NULL;
        char what[256];

        assert_int_equal(kubelet_config_check(&c, NULL, what, sizeof(what)), 0);
        c.kubeconfig = c.bootstrap_kubeconfig;
        assert_int_equal(kubelet_config_check(&c, &key, what, sizeof(what)), -EINVAL);
        assert_string_equal(key, "kubeconfig");
        assert_non_null(strstr(what, "bootstrap_kubeconfig and kubeconfig are the same file"));
        assert_int_equal(kubelet_handoff_at(&c, b, NOW, &res), -EINVAL);
        assert_string_equal(res.reason, "kubelet.config");
        c = f->c;
        c.ca_file = "relative/ca.crt";
        assert_int_equal(kubelet_config_check(&c, &key, what, sizeof(what)), -EINVAL);
        assert_string_equal(key, "ca_file");
        assert_non_null(strstr(what, "[kubelet] ca_file 'relative/ca.crt'"));
        c.ca_file = "/etc/kubernetes/my ca.crt";
        assert_int_equal(kubelet_config_check(&c, NULL, what, sizeof(what)), -EINVAL);
        c.ca_file = "/etc/kubernetes/$ca.crt";
        assert_int_equal(kubelet_config_check(&c, NULL, what, sizeof(what)), -EINVAL);
        c.ca_file = "/etc/kubernetes/";
        assert_int_equal(kubelet_config_check(&c, NULL, what, sizeof(what)), -EINVAL);
        c.ca_file = NULL;
        assert_int_equal(kubelet_config_check(&c, NULL, what, sizeof(what)), -EINVAL);
        assert_true(kubelet_path_valid(KUBELET_DEFAULT_ENV_FILE));
        assert_false(kubelet_path_valid("/a\"b"));
        assert_int_equal(access(f->ca, F_OK), -1);
        secret_free(b);
}

/* The bootstrap kubeconfig cannot be written (a directory is in the way):
 * the reason names the file, the environment file is not written, and the
 * CA written before it is complete. */
static void test_write_failure(void **state) {
        Fixture *f = *state;
        Secret *b = bundle_secret(TEST_SERVER, f->ca_pem, TEST_TOKEN, NOW + 3600);
        KubeletResult res;
        char *text;

        assert_int_equal(mkdir_p(f->boot, 0700), 0);
        assert_int_equal(kubelet_handoff_at(&f->c, b, NOW, &res), -EISDIR);
        assert_string_equal(res.reason, "kubelet.write_failed");
        assert_non_null(strstr(res.what, "bootstrap kubeconfig"));
        assert_non_null(strstr(res.what, f->boot));
        assert_int_equal(access(f->env, F_OK), -1);
        text = slurp(f->ca, 0644);
        assert_string_equal(text, f->ca_pem);
        free(text);
        assert_int_equal(rmdir(f->boot), 0);
        secret_free(b);
}

static void test_env_render(void **state) {
        KubeletConfig c = {.bootstrap_kubeconfig = KUBELET_DEFAULT_BOOTSTRAP_KUBECONFIG,
                           .kubeconfig = KUBELET_DEFAULT_KUBECONFIG,
                           .ca_file = KUBELET_DEFAULT_CA_FILE,
                           .env_file = KUBELET_DEFAULT_ENV_FILE};
        char *s = NULL;
        (void)state;

        assert_int_equal(kubelet_env_render(&c, &s), 0);
        assert_string_equal(
                s, "# Written by confnode after attestation; kubelet.service reads it through\n"
                   "# kubelet.service.d/10-confnode.conf (EnvironmentFile=).\n"
                   "KUBELET_BOOTSTRAP_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=/etc/kubernetes/"
                   "bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n"
                   "KUBELET_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=/etc/kubernetes/"
                   "bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n"
                   "CONFNODE_KUBELET_CA_FILE=\"/etc/kubernetes/pki/ca.crt\"\n");
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_handoff, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_bundle_writes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_config_check, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
                cmocka_unit_test(test_env_render),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
