#include "disk-token-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libcryptsetup.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/disk/disk-probe.h"

/* LUKS2 has 32 token slots. */
#define DISK_TOKEN_SLOTS 32

static const JsonParseLimits token_limits = {
        .max_size = 4096,
        .max_depth = 2,
        .max_values = 64,
};

static void copy_string(json_object *o, const char *key, char *buf, size_t size) {
        json_object *v;

        buf[0] = 0;
        if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
                snprintf(buf, size, "%s", json_object_get_string(v));
}

int disk_token_parse(const char *json, size_t size, DiskToken *ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *v;
        int r;

        r = json_parse_bounded(json, size, &token_limits, &o, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        *ret = (DiskToken){ .id = -1 };
        copy_string(o, "state", ret->state, sizeof(ret->state));
        copy_string(o, "fs", ret->fs, sizeof(ret->fs));
        if (json_object_object_get_ex(o, "version", &v) && json_object_is_type(v, json_type_int))
                ret->version = json_object_get_int(v);
        return 0;
}

int disk_token_find(struct crypt_device *cd, DiskToken *ret) {
        for (int id = 0; id < DISK_TOKEN_SLOTS; id++) {
                const char *type = NULL, *json = NULL;
                crypt_token_info info = crypt_token_status(cd, id, &type);
                int r;

                if (info == CRYPT_TOKEN_INVALID || info == CRYPT_TOKEN_INACTIVE || !type ||
                    strcmp(type, DISK_TOKEN_TYPE) != 0)
                        continue;
                r = crypt_token_json_get(cd, id, &json);
                if (r < 0)
                        return r;
                r = disk_token_parse(json, strlen(json), ret);
                if (r < 0)
                        return r;
                ret->id = id;
                return 0;
        }
        return -ENOENT;
}

int disk_token_write(struct crypt_device *cd, int id, const char *state, const char *fs) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        /* "keyslots" is required by LUKS2 for every token; ours opens none. */
        if (!o || json_object_object_add(o, "type", json_object_new_string(DISK_TOKEN_TYPE)) < 0 ||
            json_object_object_add(o, "keyslots", json_object_new_array()) < 0 ||
            json_object_object_add(o, "state", json_object_new_string(state)) < 0 ||
            json_object_object_add(o, "version", json_object_new_int(DISK_TOKEN_VERSION)) < 0 ||
            json_object_object_add(o, "fs", json_object_new_string(fs)) < 0)
                return -ENOMEM;
        r = crypt_token_json_set(cd, id, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        return r < 0 ? r : 0;
}
