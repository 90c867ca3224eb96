#include "confnode/basic/json-util.h"

#include <errno.h>
#include <stdlib.h>

#include "confnode/basic/hex.h"

int json_add(json_object *obj, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(obj, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_hex(json_object *obj, const char *key, const void *data, size_t n) {
        _cleanup_free_ char *h = hex_encode(data, n);

        if (!h)
                return -ENOMEM;
        return json_add(obj, key, json_object_new_string(h));
}

int json_add_string(json_object *obj, const char *key, const char *value) {
        return json_add(obj, key, json_object_new_string(value));
}

int json_add_u64(json_object *obj, const char *key, uint64_t value) {
        return json_add(obj, key, json_object_new_uint64(value));
}

int json_print(json_object *obj, FILE *f) {
        const char *s = json_object_to_json_string_ext(
                obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

        if (!s)
                return -ENOMEM;
        if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
                return -EIO;
        return 0;
}
