#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "confnode/basic/fileio.h"
#include "confnode/kubelet/atomic-file.h"

typedef struct Fixture {
        char dir[64];
        char path[96];
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        snprintf(f->dir, sizeof(f->dir), "/tmp/test-atomic-file-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof(f->path), "%s/file.conf", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        DIR *d = opendir(f->dir);
        struct dirent *de;

        (void)chmod(f->dir, 0700);
        while (d && (de = readdir(d))) {
                char p[400];

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
                if (unlink(p) < 0)
                        (void)rmdir(p);
        }
        if (d)
                closedir(d);
        (void)rmdir(f->dir);
        free(f);
        return 0;
}

/* The names in the directory besides "." and "..". */
static unsigned dir_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static void assert_file(const char *path, const char *want, mode_t mode) {
        uint8_t *data = NULL;
        size_t size = 0;
        struct stat st;

        assert_int_equal(read_full_file(path, 4096, &data, &size), 0);
        assert_int_equal(size, strlen(want));
        assert_memory_equal(data, want, size);
        free(data);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, mode);
}

static void test_new_file_modes(void **state) {
        Fixture *f = *state;
        mode_t old = umask(0077);

        /* The mode is what was asked for, not what the umask leaves. */
        assert_int_equal(atomic_file_write(f->path, "ca\n", 3, 0644), 0);
        assert_file(f->path, "ca\n", 0644);
        umask(0);
        assert_int_equal(atomic_file_write(f->path, "secret\n", 7, 0600), 0);
        assert_file(f->path, "secret\n", 0600);
        umask(old);
        assert_int_equal(dir_entries(f->dir), 1);
}

static void test_replace(void **state) {
        Fixture *f = *state;
        struct stat before, after;

        assert_int_equal(atomic_file_write(f->path, "old contents, longer\n", 21, 0644), 0);
        assert_int_equal(stat(f->path, &before), 0);
        assert_int_equal(atomic_file_write(f->path, "new\n", 4, 0600), 0);
        assert_int_equal(stat(f->path, &after), 0);
        assert_file(f->path, "new\n", 0600);
        /* A new inode renamed over the old one, not a rewrite in place. */
        assert_int_not_equal(before.st_ino, after.st_ino);
        assert_int_equal(dir_entries(f->dir), 1);
        assert_int_equal(atomic_file_write(f->path, "", 0, 0600), 0);
        assert_file(f->path, "", 0600);
}

/* A write that fails half-way (the file size limit, which binds root too)
 * leaves the old file as it was and no temporary file behind. */
static void test_failure_keeps_old(void **state) {
        Fixture *f = *state;
        char big[8192];
        pid_t pid;
        int status;

        assert_int_equal(atomic_file_write(f->path, "old\n", 4, 0600), 0);
        memset(big, 'x', sizeof(big));
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit rl = {.rlim_cur = 1024, .rlim_max = 1024};

                signal(SIGXFSZ, SIG_IGN);
                if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
                        _exit(2);
                _exit(atomic_file_write(f->path, big, sizeof(big), 0600) == -EFBIG ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_file(f->path, "old\n", 0600);
        assert_int_equal(dir_entries(f->dir), 1);
}

/* A directory the writer may not write to: the old file stays. Root
 * writes anywhere, so as root this runs in a child that has dropped to
 * nobody (65534) and owns the directory. */
static int dir_not_writable_body(const Fixture *f) {
        if (atomic_file_write(f->path, "old\n", 4, 0600) < 0 || chmod(f->dir, 0500) < 0)
                return 1;
        if (atomic_file_write(f->path, "new\n", 4, 0600) != -EACCES)
                return 2;
        return chmod(f->dir, 0700) < 0 ? 3 : 0;
}

static void test_dir_not_writable(void **state) {
        Fixture *f = *state;
        pid_t pid;
        int status;

        if (geteuid() != 0)
                assert_int_equal(dir_not_writable_body(f), 0);
        else {
                assert_int_equal(chown(f->dir, 65534, 65534), 0);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                            setresuid(65534, 65534, 65534) < 0)
                                _exit(10);
                        _exit(dir_not_writable_body(f));
                }
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_file(f->path, "old\n", 0600);
        assert_int_equal(dir_entries(f->dir), 1);
}

/* The rename itself fails (a directory is in the way): the temporary file
 * is removed and the directory left alone. */
static void test_rename_fails(void **state) {
        Fixture *f = *state;
        char inner[160];
        struct stat st;

        assert_int_equal(mkdir(f->path, 0700), 0);
        snprintf(inner, sizeof(inner), "%s/keep", f->path);
        assert_int_equal(atomic_file_write(inner, "keep\n", 5, 0600), 0);
        assert_int_equal(atomic_file_write(f->path, "new\n", 4, 0600), -EISDIR);
        assert_int_equal(stat(f->path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_file(inner, "keep\n", 0600);
        assert_int_equal(dir_entries(f->dir), 1);
        assert_int_equal(unlink(inner), 0);
}

static void test_bad_paths(void **state) {
        Fixture *f = *state;
        char p[160];

        snprintf(p, sizeof(p), "%s/missing/file", f->dir);
        assert_int_equal(atomic_file_write(p, "x", 1, 0600), -ENOENT);
        snprintf(p, sizeof(p), "%s/", f->dir);
        assert_int_equal(atomic_file_write(p, "x", 1, 0600), -EISDIR);
        assert_int_equal(atomic_file_write(NULL, "x", 1, 0600), -EINVAL);
        assert_int_equal(atomic_file_write(f->path, NULL, 1, 0600), -EINVAL);
        assert_int_equal(dir_entries(f->dir), 0);
}

/* A symlink at the path is replaced by the file, never followed. */
static void test_symlink_replaced(void **state) {
        Fixture *f = *state;
        char target[160];
        struct stat st;

        snprintf(target, sizeof(target), "%s/target", f->dir);
        assert_int_equal(atomic_file_write(target, "target\n", 7, 0644), 0);
        assert_int_equal(symlink(target, f->path), 0);
        assert_int_equal(atomic_file_write(f->path, "new\n", 4, 0600), 0);
        assert_int_equal(lstat(f->path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_file(target, "target\n", 0644);
        assert_file(f->path, "new\n", 0600);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_new_file_modes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failure_keeps_old, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_not_writable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rename_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_replaced, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
