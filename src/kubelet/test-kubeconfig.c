#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "confnode/basic/fileio.h"
#include "confnode/kubelet/kubeconfig.h"
#include "test-kubelet-util.h"

static Secret *token;

static int setup(void **state) {
        (void)state;
        return secret_new_copy(TEST_TOKEN, strlen(TEST_TOKEN), &token);
}

static int teardown(void **state) {
        (void)state;
        secret_free(token);
        return 0;
}

static char *render(const KubeconfigParams *p) {
        Secret *s = NULL;
        char *text;

        assert_int_equal(kubeconfig_render(p, &s), 0);
        assert_non_null(s);
        text = strndup((const char *)s->data, s->size);
        assert_non_null(text);
        assert_int_equal(strlen(text), s->size);
        secret_free(s);
        return text;
}

static void test_render_ca_file(void **state) {
        static const char want[] =
                "# Written by confnode from the join bundle the verifier released after\n"
                "# attestation: kubelet's TLS bootstrap credentials.\n"
                "apiVersion: v1\n"
                "kind: Config\n"
                "clusters:\n"
                "- name: \"kubernetes\"\n"
                "  cluster:\n"
                "    server: \"https://10.0.0.1:6443\"\n"
                "    certificate-authority: \"/etc/kubernetes/pki/ca.crt\"\n"
                "contexts:\n"
                "- name: \"tls-bootstrap-token-user@kubernetes\"\n"
                "  context:\n"
                "    cluster: \"kubernetes\"\n"
                "    user: \"tls-bootstrap-token-user\"\n"
                "current-context: \"tls-bootstrap-token-user@kubernetes\"\n"
                "preferences: {}\n"
                "users:\n"
                "- name: \"tls-bootstrap-token-user\"\n"
                "  user:\n"
                "    token: \"abcdef.0123456789abcdef\"\n";
        KubeconfigParams p = {
                .server = TEST_SERVER, .ca_file = "/etc/kubernetes/pki/ca.crt", .token = token};
        char *text;
        (void)state;

        text = render(&p);
        assert_string_equal(text, want);
        free(text);
}

static void test_render_ca_data(void **state) {
        static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        KubeconfigParams p = {
                .server = TEST_SERVER, .ca_data = pem, .ca_data_size = strlen(pem), .token = token};
        char *text;
        (void)state;

        text = render(&p);
        /* base64 of the PEM text, padded, on one line. */
        assert_non_null(strstr(text, "    certificate-authority-data: "
                                     "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0V"
                                     "SVElGSUNBVEUtLS0tLQo=\"\n"));
        assert_null(strstr(text, "certificate-authority:"));
        free(text);
}

/* Double-quoted YAML scalars: quote, backslash and control characters
 * escaped, so no value can end its string early or add a key. */
static void test_render_quoting(void **state) {
        KubeconfigParams p = {
                .server = TEST_SERVER, .ca_file = "/tmp/a\"b\\c\nd: e", .token = token};
        char *text;
        (void)state;

        text = render(&p);
        assert_non_null(strstr(text, "    certificate-authority: \"/tmp/a\\\"b\\\\c\\x0ad: e\"\n"));
        free(text);
}

static void test_render_invalid(void **state) {
        KubeconfigParams p = {.server = TEST_SERVER, .ca_file = "/x", .token = token};
        Secret *s = NULL;
        (void)state;

        assert_int_equal(kubeconfig_render(NULL, &s), -EINVAL);
        p.server = NULL;
        assert_int_equal(kubeconfig_render(&p, &s), -EINVAL);
        p.server = TEST_SERVER;
        p.token = NULL;
        assert_int_equal(kubeconfig_render(&p, &s), -EINVAL);
        p.token = token;
        p.ca_file = NULL;
        assert_int_equal(kubeconfig_render(&p, &s), -EINVAL);
        assert_null(s);
}

/* 0600 whatever the umask, since the file holds the token. */
static void test_write_mode(void **state) {
        char dir[] = "/tmp/test-kubeconfig-XXXXXX", path[64];
        KubeconfigParams p = {
                .server = TEST_SERVER, .ca_file = "/etc/kubernetes/pki/ca.crt", .token = token};
        uint8_t *data = NULL;
        size_t size = 0;
        struct stat st;
        mode_t old = umask(0);
        (void)state;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/kubelet.conf", dir);
        assert_int_equal(kubeconfig_write(path, &p), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(read_full_file(path, 65536, &data, &size), 0);
        assert_non_null(memmem(data, size, "token: \"" TEST_TOKEN "\"", strlen(TEST_TOKEN) + 9));
        free(data);
        umask(old);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render_ca_file), cmocka_unit_test(test_render_ca_data),
                cmocka_unit_test(test_render_quoting), cmocka_unit_test(test_render_invalid),
                cmocka_unit_test(test_write_mode),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
