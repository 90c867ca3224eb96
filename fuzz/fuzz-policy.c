/* The policy validator on arbitrary bytes: the bounded JSON parser as
 * policy_load() uses it, then policy_from_json() and, for a policy that
 * loads, the resource lookup. The origin names a directory that does not
 * exist, so relative anchor paths lead nowhere; only regular files are
 * ever opened. Seeded from the peer set's JSON and, by hand, from
 * docs/examples/policy.json. */

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const JsonParseLimits limits = {
                .max_size = 1024 * 1024,
                .max_depth = 8,
                .max_values = 65536,
        };
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        char err[512];

        if (json_parse_bounded(data, size, &limits, &j, NULL) < 0)
                return 0;
        if (policy_from_json(j, "/nonexistent-fuzz/policy.json", &p, err, sizeof(err)) < 0)
                return 0;
        (void)policy_find_resource(p, "confnode", "disk-key",
                                   "0f4e3c1a-6a52-4a8e-9d0e-0b6f3f2a1c7d");
        (void)policy_find_resource(p, "confnode", "kubelet", "join");
        (void)policy_origin(p);
        return 0;
}
