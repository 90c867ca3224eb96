#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "confnode/basic/cleanup.h"

DEFINE_CLEANUP(json_object, json_object_put)

/* Adds key = v, taking ownership of v (put on failure); -ENOMEM if v is
 * NULL, so a failed json_object_new_*() can be passed straight in. */
int json_add(json_object *obj, const char *key, json_object *v);
/* Adds key = lower-case hex of the bytes. -ENOMEM on failure. */
int json_add_hex(json_object *obj, const char *key, const void *data, size_t n);
int json_add_string(json_object *obj, const char *key, const char *value);
int json_add_u64(json_object *obj, const char *key, uint64_t value);
/* Prints pretty JSON (no escaped slashes) and a newline. */
int json_print(json_object *obj, FILE *f);
