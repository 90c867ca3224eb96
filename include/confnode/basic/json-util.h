#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "confnode/basic/cleanup.h"

DEFINE_CLEANUP(json_object, json_object_put)

/* Adds key = lower-case hex of the bytes. -ENOMEM on failure. */
int json_add_hex(json_object *obj, const char *key, const void *data, size_t n);
int json_add_string(json_object *obj, const char *key, const char *value);
int json_add_u64(json_object *obj, const char *key, uint64_t value);
/* Prints pretty JSON (no escaped slashes) and a newline. */
int json_print(json_object *obj, FILE *f);
